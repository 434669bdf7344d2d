from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, key: str, value) -> str:
    """The current query string with one parameter replaced (for paging and sorting links)."""
    query = context["request"].GET.copy()
    query[key] = value
    return query.urlencode()


@register.filter
def ordinal(value) -> str:
    """36 -> "36th", 1 -> "1st", 11 -> "11th", 22 -> "22nd"; empty for None."""
    if value is None or value == "":
        return ""
    number = int(value)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"

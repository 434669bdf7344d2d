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


@register.filter
def poster_hue(title) -> int:
    """0-11, stable per title: picks the .poster-hue-N colour of a drawn placeholder."""
    from catalog.services import poster_hue as hue

    return hue(title)


@register.filter
def percent_of(value, total) -> int:
    """Share of value in total as a whole percentage (0 when total is 0)."""
    try:
        return round(100 * int(value) / int(total)) if int(total) else 0
    except (TypeError, ValueError):
        return 0


@register.filter
def get_field_label(form, name: str) -> str:
    """The label of a form field by name ("" if the form has no such field)."""
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else name.replace("_", " ")

"""Template filters and tags every app's templates use: {% load core_tags %}."""

from django import template

from core import posters
from core.text import ordinal

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, key: str, value) -> str:
    """The current query string with one parameter replaced (for paging and sorting links)."""
    query = context["request"].GET.copy()
    query[key] = value
    return query.urlencode()


register.filter("ordinal", ordinal)


@register.filter
def poster_hue(title) -> int:
    """0-11, stable per title: picks the .poster-hue-N colour of a drawn placeholder."""
    return posters.poster_hue(title)


@register.filter
def poster_size(size: str) -> posters.PosterSize:
    """The drawing of a poster size ("page", "card", "item", "mosaic")."""
    return posters.POSTER_SIZES[size]


@register.filter
def poster_image(title, size: str):
    """The title's poster file at a size, or None (then a placeholder is drawn)."""
    return posters.poster_image(title, size)


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


@register.filter
def signed(value, digits: int = 1) -> str:
    """+3.2 / -1.0 / 0.0, for offsets on explanation pages."""
    value = float(value)
    text = f"{value:+.{int(digits)}f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "−")


@register.filter
def plus(value, digits: int = 2) -> str:
    """ "+ 3.20" / "− 1.00": a signed term added to what precedes it in a formula."""
    value = float(value)
    return f"{'−' if value < 0 else '+'} {abs(value):.{int(digits)}f}"


@register.filter
def percent(value) -> str:
    """A share 0..1 as a whole percentage ("0.42" -> "42%"); empty for None."""
    return "" if value is None else f"{float(value) * 100:.0f}%"

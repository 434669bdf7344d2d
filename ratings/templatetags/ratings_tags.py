from django import template

from ratings import scales

register = template.Library()


@register.inclusion_tag("ratings/_rating_panel.html")
def rating_panel(panel: dict):
    """The viewer's own rating of a title, with the form to rate, change or delete it.

    ``panel`` is ratings.forms.rating_panel_context(...), loaded by the page's builder;
    the tag only renders it."""
    # The title page belongs to another app; the panel brings its own small script.
    return {**panel, "include_script": True}


# Scores on the viewer's scale -------------------------------------------------------


@register.filter
def on_scale(score, user) -> str:
    """A stored 0-100 score on the viewer's scale: ``{{ rating.score|on_scale:user }}``.

    Signed-out viewers see 0-100. Stars get a "★" suffix so "3.5" reads as stars.
    """
    if score is None or score == "":
        return ""
    scale = scales.scale_of(user)
    text = scales.to_display(int(score), scale)
    return f"{text}★" if scale == scales.STARS else text


@register.filter
def on_scale_plain(score, user) -> str:
    """Like on_scale but without the star suffix (for form values)."""
    if score is None or score == "":
        return ""
    return scales.to_display(int(score), scales.scale_of(user))


@register.simple_tag
def scale_info(user) -> scales.ScaleInfo:
    """``{% scale_info user as scale %}`` gives label, minimum, maximum, step for inputs."""
    return scales.SCALES[scales.scale_of(user)]

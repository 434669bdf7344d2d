from django import template

from accounts import scales

register = template.Library()


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


@register.filter
def duration_words(value) -> str:
    """A timedelta in words: "15 minutes", "1 hour", "1 hour 30 minutes"."""
    if value is None:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)

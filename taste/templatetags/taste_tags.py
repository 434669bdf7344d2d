"""Taste on other apps' pages.

- ``{% probable_score title %}``: the "Your probable score" card of a title page.
- ``{% probable_scores_for titles as psis %}`` then ``{% psi_badge title psis %}``: PSIs
  on a list of titles or collection items, unrated ones only (three queries in all).
- ``{% tci_with profile_user %}``: "Your TCI with them: 12.4 over 57 titles" on a profile.
- ``{% prediction_accuracy_panel profile_user %}``: how close their PSIs came.
"""

from django import template

from catalog.models import Title
from ratings.models import Rating
from taste import selectors, services

register = template.Library()


@register.inclusion_tag("taste/_probable_score.html", takes_context=True)
def probable_score(context, title):
    """The viewer's PSI for a title with a link to its explanation, "?" and the reason,
    or, once they rated it, the PSI they had been shown. At most five queries."""
    user = context["request"].user
    result = {"title": title, "user": user, "psi": None, "rated_score": None, "shown": None}
    if user.is_authenticated:
        if "viewer_rating" in context:  # the view already read it (the title page does)
            own = context["viewer_rating"]
            result["rated_score"] = own.score if own else None
        else:
            rated = Rating.objects.filter(user=user, title=title).values_list("score", flat=True)
            result["rated_score"] = rated.first()
        if result["rated_score"] is not None:
            result["shown"] = selectors.shown_prediction(user, title)
            return result
    psi = selectors.probable_score(user, title)
    if psi.ok:
        services.record_shown_prediction(user, title, psi.score, psi.prediction.percentile)
    result["psi"] = psi
    return result


@register.simple_tag(takes_context=True)
def probable_scores_for(context, titles_or_items):
    """``{% probable_scores_for page_obj as psis %}``: {title id: ProbableScore} for the
    titles the viewer has not rated. Accepts titles or collection items (``item.title``)."""
    user = context["request"].user
    titles = [entry if isinstance(entry, Title) else entry.title for entry in titles_or_items]
    if not user.is_authenticated or not titles:
        return {}
    rated = set(
        Rating.objects.filter(user=user, title__in=titles).values_list("title_id", flat=True)
    )
    return selectors.probable_scores(user, [t for t in titles if t.pk not in rated])


@register.inclusion_tag("taste/_psi_badge.html", takes_context=True)
def psi_badge(context, title, psis):
    """A small "PSI 78" badge for a title in a list, nothing when there is no PSI."""
    psi = psis.get(title.pk) if psis else None
    return {"psi": psi if psi and psi.ok else None, "user": context["request"].user}


@register.inclusion_tag("taste/_tci_with.html", takes_context=True)
def tci_with(context, other):
    """The viewer's TCI with another user, linking to the shared titles."""
    user = context["request"].user
    if not user.is_authenticated or user.pk == other.pk:
        return {"show": False}
    return {"show": True, "other": other, "pair": selectors.tci_between(user, other)}


@register.inclusion_tag("taste/_prediction_accuracy.html", takes_context=True)
def prediction_accuracy_panel(context, profile_user):
    """How close the PSIs this user was shown came to the scores they gave."""
    viewer = context["request"].user
    return {
        "accuracy": selectors.prediction_accuracy(profile_user),
        "profile_user": profile_user,
        "is_self": viewer.is_authenticated and viewer.pk == profile_user.pk,
    }

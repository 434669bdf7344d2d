"""Taste on other apps' pages.

- ``{% probable_score card %}``: the "Your probable score" card of a title page (the card
  is loaded by pages.builders.probable_score_card; the tag only renders it).
- ``{% probable_scores_for titles as psis %}`` then ``{% psi_badge title psis %}``: PSIs
  on a list of titles or collection items, unrated ones only (three queries in all).
- ``{% tci_with profile_user pair %}``: "Your TCI with them: 12.4 over 57 titles" on a
  profile (``pair`` from selectors.tci_between, loaded by the profile's builder).
- ``{% prediction_accuracy_panel profile_user accuracy %}``: how close their PSIs came
  (``accuracy`` from selectors.prediction_accuracy, loaded by the profile's builder).
"""

from django import template

from catalog.models import Title
from ratings.models import Rating
from taste import selectors

register = template.Library()


@register.inclusion_tag("taste/_probable_score.html")
def probable_score(card: dict):
    """The viewer's PSI for a title with a link to its explanation, "?" and the reason,
    or, once they rated it, the PSI they had been shown. Renders only: the card is
    loaded by the page, which also records a PSI it shows."""
    return card


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
def tci_with(context, other, pair):
    """The viewer's TCI with another user (``pair``, already loaded), linking to the
    shared titles."""
    user = context["request"].user
    if not user.is_authenticated or user.pk == other.pk:
        return {"show": False}
    return {"show": True, "other": other, "pair": pair}


@register.inclusion_tag("taste/_prediction_accuracy.html", takes_context=True)
def prediction_accuracy_panel(context, profile_user, accuracy):
    """How close the PSIs this user was shown came to the scores they gave (``accuracy``,
    already loaded)."""
    viewer = context["request"].user
    return {
        "accuracy": accuracy,
        "profile_user": profile_user,
        "is_self": viewer.is_authenticated and viewer.pk == profile_user.pk,
    }

"""Similar titles from co-ratings: precomputed, shown by the catalog's similar-titles view."""

import math

import pytest
from django.urls import reverse

from ratings.models import Rating
from taste import selectors, services
from taste.models import TasteProfile, TitleTaste
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair_of_twins(titles):
    """Six raters give X and Y the same score each (so the same percentile), and Z the
    opposite end of their scale. T1..T5 give everyone five distinct scores."""
    x, y, z = titles[30], titles[31], titles[32]
    for n in range(6):
        person = UserFactory(username=f"r{n}")
        liked = 15 + 15 * n % 90
        give(
            person,
            {**{titles[i]: 10 * i for i in range(1, 6)}, x: liked, y: liked, z: 100 - liked},
        )
    return x, y, z


def _residuals(title):
    """{user id: position - 49.5 - user offset - title offset} from the stored numbers."""
    offset = TitleTaste.objects.get(title=title).offset
    users = dict(TasteProfile.objects.values_list("user_id", "user_offset"))
    return {
        r.user_id: r.percentile - 49.5 - users[r.user_id] - offset
        for r in Rating.objects.filter(title=title)
    }


def test_titles_placed_alike_by_the_same_people_are_most_similar(pair_of_twins):
    x, y, z = pair_of_twins
    services.rebuild_all()
    assert services.refresh_title_similarity(x.pk) > 0
    similar = selectors.similar_titles(x)
    assert similar[0].title == y
    assert similar[0].mean_difference == 0
    assert similar[0].common_count == 6
    # Title agreement: the correlation of the raters' residuals on X and on Y over the 6
    # raters in common, times 6 / (6 + 100).
    rx, ry = _residuals(x), _residuals(y)
    cross = sum(rx[u] * ry[u] for u in rx)
    rho = cross / math.sqrt(sum(r * r for r in rx.values()) * sum(r * r for r in ry.values()))
    assert rho > 0.9
    assert similar[0].score == pytest.approx(rho * 6 / 106)
    assert z not in [s.title for s in similar]  # placed the opposite way: agreement 0


def test_rebuild_fills_every_titles_list(pair_of_twins):
    x, y, z = pair_of_twins
    services.rebuild_all()
    assert selectors.similar_titles(y)[0].title == x


def test_catalog_similar_titles_view_uses_co_ratings(client, pair_of_twins):
    x, y, z = pair_of_twins
    services.refresh_title_similarity(x.pk)
    url = reverse("catalog:title-similar", args=[x.pk, x.slug])
    html = client.get(url).content.decode()
    assert y.name in html
    assert "6 raters in common" in html

"""Similar titles while none are precomputed: a guess from shared genres, people and fans
(``taste.selectors.similar_titles_guess``), and the one selector pages call."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import CreditRole
from ratings.services import RatingInput, rate_many
from taste import selectors
from taste.models import TitleSimilarity
from tests.factories import CreditFactory, GenreFactory, PersonFactory, TitleFactory, UserFactory
from tests.html import select, select_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def films():
    drama, crime = (
        GenreFactory(name="Drama", slug="drama"),
        GenreFactory(name="Crime", slug="crime"),
    )
    director = PersonFactory(name="Steve Buscemi")
    made = {name: TitleFactory(name=name) for name in ["Interview", "Trees", "Fargo", "Cars"]}
    made["Interview"].genres.add(drama)
    made["Trees"].genres.add(drama)
    made["Fargo"].genres.add(drama, crime)
    for name in ("Interview", "Trees"):
        CreditFactory(title=made[name], person=director, role=CreditRole.DIRECTOR)
    return made


def test_guess_ranks_shared_people_above_shared_genres(films):
    similar = selectors.similar_titles_guess(films["Interview"])
    assert [item.title.name for item in similar] == ["Trees", "Fargo"]
    assert similar[0].reasons == ["1 shared person", "1 shared genre"]
    assert similar[0].common_count is None  # a guess has no co-rating numbers


def test_guess_uses_co_ratings(films):
    fans = UserFactory.create_batch(3)
    for user in fans:
        rate_many(
            user,
            [
                RatingInput(films["Interview"].pk, 90),
                RatingInput(films["Cars"].pk, 85),
                *[RatingInput(TitleFactory().pk, score) for score in (10, 30, 50, 70)],
            ],
        )
    guessed = selectors.similar_titles_guess(films["Interview"])
    cars = next(i for i in guessed if i.title.name == "Cars")
    assert "liked by 3 of its fans" in cars.reasons


def test_guess_is_two_queries(films, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.similar_titles_guess(films["Interview"])


def test_similar_titles_falls_back_to_the_guess_without_precomputed_rows(
    films, django_assert_num_queries
):
    with django_assert_num_queries(3):
        similar = selectors.similar_titles(films["Interview"])
    assert [item.title.name for item in similar] == ["Trees", "Fargo"]


def test_similar_titles_prefers_precomputed_rows_in_one_query(films, django_assert_num_queries):
    TitleSimilarity.objects.create(
        title=films["Interview"],
        similar=films["Cars"],
        score=0.4,
        mean_difference=2.5,
        common_count=7,
        computed_at=timezone.now(),
    )
    with django_assert_num_queries(1):
        similar = selectors.similar_titles(films["Interview"])
    assert [item.title.name for item in similar] == ["Cars"]
    assert similar[0].reasons == [
        "7 raters in common",
        "placed 2.5 percentiles apart on average",
    ]


def test_similar_fragment_and_full_page(client, films):
    title = films["Interview"]
    url = reverse("catalog:title-similar", args=[title.pk, title.slug])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Trees" in fragment and select(fragment, "html") == []
    page = client.get(url).content.decode()
    assert select_one(page, "html") and "Titles similar to Interview" in page
    wrong = client.get(reverse("catalog:title-similar", args=[title.pk, "old"]))
    assert wrong.status_code == 301 and wrong["Location"] == url
    missing = reverse("catalog:title-similar", args=[999999, "x"])
    assert client.get(missing).status_code == 404

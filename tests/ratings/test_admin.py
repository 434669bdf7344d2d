import pytest
from django.urls import reverse

from catalog.models import Title
from ratings.models import Rating
from ratings.services import RatingInput, rate, rate_many
from tests.factories import TitleFactory, UserFactory
from tests.ratings.reference import assert_matches_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored():
    user = UserFactory(username="katya")
    titles = TitleFactory.create_batch(6)
    scores = {t.pk: 15 * i for i, t in enumerate(titles)}
    rate_many(user, [RatingInput(tid, s, review="Worth it") for tid, s in scores.items()])
    return user, titles, scores


def test_changelist_searches_by_username_and_title(staff_client, scored):
    user, titles, _ = scored
    url = reverse("admin:ratings_rating_changelist")
    assert staff_client.get(url, {"q": "katya"}).status_code == 200
    response = staff_client.get(url, {"q": titles[0].name})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [
        Rating.objects.get(user=user, title=titles[0])
    ]


def test_changelist_filters_and_query_count_is_bounded(
    staff_client, scored, django_assert_max_num_queries
):
    url = reverse("admin:ratings_rating_changelist")
    for params in ({"has_review": "yes"}, {"review_hidden__exact": "1"}, {"has_percentile": "no"}):
        assert staff_client.get(url, params).status_code == 200
    with django_assert_max_num_queries(12):
        staff_client.get(url)


def test_admin_edit_goes_through_the_service(staff_client, scored):
    user, titles, scores = scored
    rating = Rating.objects.get(user=user, title=titles[0])
    url = reverse("admin:ratings_rating_change", args=[rating.pk])
    response = staff_client.post(
        url,
        {
            "score": "99",
            "review": "Changed by a moderator",
            "rated_at_0": "2008-05-24",
            "rated_at_1": "12:00:00",
        },
    )
    assert response.status_code == 302
    scores[titles[0].pk] = 99
    assert_matches_reference({user.pk: scores}, list(scores))


def test_admin_add_goes_through_the_service_and_rejects_bad_scores(staff_client, scored):
    user, titles, scores = scored
    extra = TitleFactory()
    url = reverse("admin:ratings_rating_add")
    form = {"user": user.pk, "title": extra.pk, "review": "", "rated_at_0": "2020-01-09"}
    form["rated_at_1"] = "10:00:00"

    bad = staff_client.post(url, {**form, "score": "101"})
    assert bad.status_code == 200
    assert "Ensure this value is less than or equal to 100." in bad.content.decode()

    assert staff_client.post(url, {**form, "score": "50"}).status_code == 302
    scores[extra.pk] = 50
    assert_matches_reference({user.pk: scores}, list(scores))


def test_admin_delete_goes_through_the_service(staff_client, scored):
    user, titles, scores = scored
    rating = Rating.objects.get(user=user, title=titles[5])
    url = reverse("admin:ratings_rating_delete", args=[rating.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    del scores[titles[5].pk]
    assert_matches_reference({user.pk: scores}, [t.pk for t in titles])


def test_admin_bulk_delete_goes_through_the_service(staff_client, scored):
    user, titles, scores = scored
    other = UserFactory()
    rate(other, titles[0], 10)
    chosen = Rating.objects.filter(title__in=titles[:2])
    response = staff_client.post(
        reverse("admin:ratings_rating_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    del scores[titles[0].pk], scores[titles[1].pk]
    assert_matches_reference({user.pk: scores, other.pk: {}}, [t.pk for t in titles])
    assert Title.objects.get(pk=titles[0].pk).ratings_count == 0


def test_hide_and_unhide_review_actions(staff_client, scored):
    user, titles, _ = scored
    rating = Rating.objects.get(user=user, title=titles[3])
    url = reverse("admin:ratings_rating_changelist")

    staff_client.post(url, {"action": "hide_reviews", "_selected_action": [rating.pk]})
    rating.refresh_from_db()
    assert rating.review_hidden
    assert Title.objects.get(pk=titles[3].pk).percentile_count == 1

    staff_client.post(url, {"action": "unhide_reviews", "_selected_action": [rating.pk]})
    rating.refresh_from_db()
    assert not rating.review_hidden

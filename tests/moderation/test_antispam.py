"""Posting limits (reviews and collections per hour) and reviews with links."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Collection
from ratings.models import Rating
from ratings.services import rate
from tests.factories import CollectionFactory, TitleFactory
from tests.html import select

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(settings):
    settings.MODERATION_REVIEWS_PER_HOUR = 2
    settings.MODERATION_COLLECTIONS_PER_HOUR = 2


def post_rating(client, title, review: str, score: str = "70"):
    return client.post(reverse("ratings:rate", args=[title.pk]), {"score": score, "review": review})


def test_review_limit_refuses_a_new_review_and_keeps_the_text(member_client, member, limited):
    titles = TitleFactory.create_batch(3)
    for title in titles[:2]:
        assert post_rating(member_client, title, f"On {title.name}").status_code == 302
    response = post_rating(member_client, titles[2], "One review too many")
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have written 2 reviews in the last hour, the most allowed." in page
    assert "One review too many" in page
    assert not Rating.objects.filter(user=member, title=titles[2]).exists()


def test_review_limit_allows_scores_and_unchanged_reviews(member_client, member, limited):
    titles = TitleFactory.create_batch(3)
    for title in titles[:2]:
        post_rating(member_client, title, f"On {title.name}")
    assert post_rating(member_client, titles[2], "", score="40").status_code == 302
    # Re-saving a score with the review it already has is not a new review.
    assert (
        post_rating(member_client, titles[0], f"On {titles[0].name}", score="55").status_code == 302
    )
    assert Rating.objects.get(user=member, title=titles[0]).score == 55


def test_reviews_older_than_an_hour_do_not_count(member_client, member, limited):
    titles = TitleFactory.create_batch(3)
    for title in titles[:2]:
        assert post_rating(member_client, title, f"On {title.name}").status_code == 302
    # 59 minutes ago is still within the hour: the third review is refused...
    Rating.objects.filter(user=member).update(updated_at=timezone.now() - timedelta(minutes=59))
    assert post_rating(member_client, titles[2], "Fresh").status_code == 400
    assert not Rating.objects.filter(user=member, title=titles[2]).exists()
    # ...61 minutes ago is not, and the review is saved.
    Rating.objects.filter(user=member).update(updated_at=timezone.now() - timedelta(minutes=61))
    assert post_rating(member_client, titles[2], "Fresh").status_code == 302
    assert Rating.objects.get(user=member, title=titles[2]).review == "Fresh"


def test_review_limit_message_with_htmx(member_client, limited):
    titles = TitleFactory.create_batch(3)
    for title in titles[:2]:
        post_rating(member_client, title, "Text")
    response = member_client.post(
        reverse("ratings:rate", args=[titles[2].pk]),
        {"score": "70", "review": "Third"},
        HTTP_HX_REQUEST="true",
    )
    assert "the most allowed" in response.content.decode()


def test_collection_limit_on_the_new_collection_page(member_client, member, limited):
    url = reverse("collections:collection-create")
    for n in range(2):
        assert member_client.post(url, {"name": f"List {n}", "is_public": "on"}).status_code == 302
    response = member_client.post(url, {"name": "List 3", "description": "Kept"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have created 2 collections in the last hour, the most allowed." in page
    assert "Kept" in page
    assert Collection.objects.filter(owner=member).count() == 2


def test_collection_limit_on_add_to_a_new_collection(member_client, member, limited):
    CollectionFactory.create_batch(2, owner=member)
    title = TitleFactory()
    response = member_client.post(
        reverse("collections:title-add", args=[title.pk]), {"new_name": "Another"}
    )
    assert response.status_code == 400
    assert "the most allowed" in response.content.decode()
    assert not Collection.objects.filter(name="Another").exists()


def spam_links(page) -> list[str]:
    return [a.get("href") for a in select(page, "a") if "spam.example" in (a.get("href") or "")]


def test_links_in_reviews_are_never_live(client, title, member):
    spam = 'Visit http://spam.example/buy and <a href="http://spam.example">here</a>'
    rate(member, title, 60, review=spam)
    page = client.get(title.get_absolute_url()).content.decode()
    assert "spam.example" in page
    assert spam_links(page) == []
    assert "&lt;a href=&quot;http://spam.example&quot;&gt;here&lt;/a&gt;" in page
    profile = client.get(member.get_absolute_url()).content.decode()
    assert spam_links(profile) == []
    home = client.get(reverse("home")).content.decode()
    assert spam_links(home) == []

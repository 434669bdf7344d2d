"""The Report links on the title page, collections and profiles, and moderation notices."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from moderation import services
from tests.factories import UserFactory
from tests.html import select, select_one

pytestmark = pytest.mark.django_db


def test_title_page_has_a_report_link_beside_others_reviews(
    member_client, review, django_assert_max_num_queries
):
    url = reverse("moderation:report", args=["review", review.pk])
    page = member_client.get(review.title.get_absolute_url()).content.decode()
    link = select_one(page, "a", class_="report-link", href=url)
    assert link.text == "⚑ Report review by ann"
    assert select_one(link, "span", class_="visually-hidden").text == "review by ann"


def test_no_report_link_on_ones_own_review_or_hidden_reviews(client, author, review, moderator):
    url = reverse("moderation:report", args=["review", review.pk])
    client.force_login(author)
    assert url not in client.get(review.title.get_absolute_url()).content.decode()
    services.hide_review(review, moderator, "Spoilers")
    client.force_login(UserFactory())
    page = client.get(review.title.get_absolute_url()).content.decode()
    assert url not in page
    assert "Neither of them tells the truth" not in page
    assert "This review is hidden by a moderator." in page


def test_anonymous_visitors_see_the_link_too(client, review):
    url = reverse("moderation:report", args=["review", review.pk])
    assert url in client.get(review.title.get_absolute_url()).content.decode()


def test_report_links_cost_no_queries_per_review(client, title, django_assert_max_num_queries):
    from ratings.services import rate

    rate(UserFactory(), title, 50, review="First")
    client.get(title.get_absolute_url())
    cache.clear()  # both counts with the ratings list read (not from the section cache)
    with django_assert_max_num_queries(100) as few:
        client.get(title.get_absolute_url())
    for n in range(15):
        rate(UserFactory(), title, 50 + n, review=f"Review {n}")
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(title.get_absolute_url()).content.decode()
    assert page.count('class="report-link"') == 16


def test_collection_page_links_and_owner_notice(client, collection, author, moderator):
    url = reverse("moderation:report", args=["collection", collection.pk])
    client.force_login(UserFactory())
    assert url in client.get(collection.get_absolute_url()).content.decode()
    services.hide_collection(collection, moderator, "Insults in the description")
    assert client.get(collection.get_absolute_url()).status_code == 404
    client.force_login(author)
    page = client.get(collection.get_absolute_url()).content.decode()
    assert "A moderator has hidden this collection; only you can see it." in page
    assert "Insults in the description" in page
    assert url not in page


def test_profile_link_and_suspended_notice(client, author, moderator):
    url = reverse("moderation:report", args=["profile", author.pk])
    client.force_login(UserFactory())
    assert url in client.get(author.get_absolute_url()).content.decode()
    services.suspend(author, moderator, "Spam")
    page = client.get(author.get_absolute_url()).content.decode()
    assert "This account is suspended; its reviews and collections are hidden." in page
    assert url not in page


def test_no_report_link_on_ones_own_profile(client, author, member):
    url = reverse("moderation:report", args=["profile", author.pk])
    client.force_login(author)
    response = client.get(author.get_absolute_url())
    assert response.status_code == 200
    assert select_one(response, "h1").text == author.shown_name
    assert select(response, "a", class_="report-link") == []
    # The same page seen by another member has the link, so its absence above means something.
    client.force_login(member)
    link = select_one(client.get(author.get_absolute_url()), "a", class_="report-link")
    assert link.get("href") == url

"""Follows and likes: the rules of social.services, through the views a member uses
(bad input is a 4xx with a message and writes nothing)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from moderation.services import suspend
from ratings.services import rate
from social import services
from social.models import Follow, Notification, ReviewLike
from tests.concurrency import race_behind_member_lock
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return UserFactory(username="ann")


@pytest.fixture
def ben():
    return UserFactory(username="ben")


@pytest.fixture
def review(ben):
    return rate(ben, TitleFactory(name="Interview"), 80, review="Two liars, one flat.")


def _nothing_written():
    return (Follow.objects.count(), ReviewLike.objects.count(), Notification.objects.count())


def test_follow_notifies_and_unfollow_removes(ann, ben):
    services.follow(user=ann, target=ben)
    assert Follow.objects.filter(follower=ann, followee=ben).exists()
    note = Notification.objects.get()
    assert (note.recipient, note.actor, note.kind) == (ben, ann, "follow")
    services.unfollow(user=ann, target=ben)
    assert not Follow.objects.exists()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("self", "self_follow"),
        ("twice", "already_following"),
        ("private", "not_visible"),
        ("private to staff", "not_visible"),
        ("suspended", "suspended_target"),
    ],
)
def test_follow_refusals_write_nothing(ann, ben, case, code):
    if case == "twice":
        services.follow(user=ann, target=ben)
    if case.startswith("private"):
        ben.visibility = "private"
        ben.save()
    if case == "private to staff":
        ann.is_staff = True
        ann.save()
    if case == "suspended":
        suspend(ben, UserFactory(is_staff=True, is_superuser=True), "spam")
        ben.refresh_from_db()
    before = _nothing_written()
    with pytest.raises(ValidationError) as refused:
        services.follow(user=ann, target=ann if case == "self" else ben)
    assert refused.value.code == code
    assert _nothing_written() == before


def test_follow_views_refuse_with_4xx_and_a_message(client, ann, ben):
    client.force_login(ann)
    response = client.post(reverse("social:follow", args=["ann"]))
    assert response.status_code == 400
    assert "You cannot follow yourself." in response.content.decode()
    assert client.post(reverse("social:follow", args=["nobody"])).status_code == 404
    assert client.post(reverse("social:unfollow", args=["ben"])).status_code == 404
    assert _nothing_written() == (0, 0, 0)
    assert (
        client.post(reverse("social:follow", args=["ben"]), {"next": "/u/ben/"}).status_code == 302
    )
    response = client.post(reverse("social:follow", args=["ben"]), HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert response.content.decode() == "You already follow ben."
    assert Follow.objects.count() == 1 and Notification.objects.count() == 1


def test_follow_requires_sign_in_and_post(client, ben):
    response = client.post(reverse("social:follow", args=["ben"]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory(username="cy"))
    assert client.get(reverse("social:follow", args=["ben"])).status_code == 405
    assert not Follow.objects.exists()


def test_like_notifies_the_author_and_unlike_takes_it_back(ann, review):
    services.like_review(user=ann, rating=review)
    note = Notification.objects.get()
    assert (note.recipient_id, note.actor, note.kind, note.rating) == (
        review.user_id,
        ann,
        "like",
        review,
    )
    services.unlike_review(user=ann, rating=review)
    assert not ReviewLike.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("own", "own_review"),
        ("twice", "already_liked"),
        ("bare score", "no_review"),
        ("hidden", "hidden_review"),
        ("suspended author", "hidden_review"),
        ("private author", "not_visible"),
    ],
)
def test_like_refusals_write_nothing(ann, ben, review, case, code):
    liker = ben if case == "own" else ann
    target = review
    if case == "twice":
        services.like_review(user=ann, rating=review)
    elif case == "bare score":
        target = rate(ben, TitleFactory(), 40)
    elif case == "hidden":
        review.review_hidden = True
        review.save()
    elif case == "suspended author":
        suspend(ben, UserFactory(is_staff=True, is_superuser=True), "spam")
        review.refresh_from_db()
    elif case == "private author":
        ben.visibility = "private"
        ben.save()
        review.refresh_from_db()
    before = _nothing_written()
    with pytest.raises(ValidationError) as refused:
        services.like_review(user=liker, rating=target)
    assert refused.value.code == code
    assert _nothing_written() == before


def test_likes_are_limited_per_hour(settings, ann, ben):
    settings.MODERATION_LIKES_PER_HOUR = 2
    titles = TitleFactory.create_batch(3)
    reviews = [rate(ben, t, 50 + n, review=f"Review {n}") for n, t in enumerate(titles)]
    services.like_review(user=ann, rating=reviews[0])
    services.like_review(user=ann, rating=reviews[1])
    with pytest.raises(ValidationError) as refused:
        services.like_review(user=ann, rating=reviews[2])
    assert refused.value.code == "too_many_likes"
    assert ReviewLike.objects.count() == 2


def test_like_views_refuse_with_4xx(client, ann, ben, review):
    client.force_login(ben)
    response = client.post(reverse("social:like", args=[review.pk]))
    assert response.status_code == 403
    assert "You cannot like your own review." in response.content.decode()
    client.force_login(ann)
    assert client.post(reverse("social:like", args=[999999])).status_code == 404
    assert client.post(reverse("social:unlike", args=[review.pk])).status_code == 404
    assert _nothing_written() == (0, 0, 0)
    assert (
        client.post(reverse("social:like", args=[review.pk]), HTTP_HX_REQUEST="true").status_code
        == 200
    )
    response = client.post(reverse("social:like", args=[review.pk]))
    assert response.status_code == 409
    assert "You already like this review." in response.content.decode()
    assert ReviewLike.objects.count() == 1


def test_only_the_author_sees_who_liked(client, ann, ben, review):
    services.like_review(user=ann, rating=review)
    url = reverse("social:review-likes", args=[review.pk])
    client.force_login(ann)
    assert client.get(url).status_code == 403
    client.force_login(ben)
    response = client.get(url)
    assert response.status_code == 200
    assert 'href="/u/ann/"' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_like_limit_holds_against_concurrent_likes(settings):
    """Three likes at once with room for one more: the limit is checked under the
    liker's row lock, so exactly one is saved."""
    settings.MODERATION_LIKES_PER_HOUR = 2
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    reviews = [rate(ben, TitleFactory(), 50 + n, review=f"Review {n}") for n in range(4)]
    services.like_review(user=ann, rating=reviews[0])
    writes = [
        (lambda rating=rating: services.like_review(user=ann, rating=rating))
        for rating in reviews[1:]
    ]
    outcomes = race_behind_member_lock(ann, writes)
    assert outcomes == ["saved", "too_many_likes", "too_many_likes"]
    assert ReviewLike.objects.filter(user=ann).count() == 2

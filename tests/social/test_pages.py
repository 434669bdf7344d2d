"""The pages of issue 15: people pages, the title page's ratings list (TCI, sorts,
filters, likes), following/followers, notifications, Atom feeds, people in search, and
the profile's favourite directors and actors."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from catalog.models import CreditRole
from ratings.selectors import person_summary, viewer_ratings_by_title
from ratings.services import RatingInput, rate, rate_many
from social import services
from social.models import Notification
from taste import services as taste_services
from taste.models import Compatibility
from tests.factories import (
    CollectionFactory,
    CollectionItemFactory,
    CreditFactory,
    PersonFactory,
    TitleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def pair(a, b, tci: float, shrunk: float | None = None):
    low, high = sorted((a.pk, b.pk))
    return Compatibility.objects.create(
        user_a_id=low,
        user_b_id=high,
        tci=tci,
        common_count=10,
        tci_shrunk=shrunk if shrunk is not None else tci,
        computed_at=timezone.now(),
    )


# People pages ---------------------------------------------------------------------------


@pytest.fixture
def director():
    person = PersonFactory(name="Theo van Gogh")
    films = [TitleFactory(name=f"Film {n}", year=2000 + n) for n in range(6)]
    for film in films:
        CreditFactory(title=film, person=person, role=CreditRole.DIRECTOR)
    CreditFactory(title=films[0], person=person, role=CreditRole.CAST, character="Himself")
    return person, films


def test_person_page_lists_the_filmography_by_role_with_the_viewers_scores(client, director):
    person, films = director
    viewer = UserFactory(username="viewer")
    others = TitleFactory.create_batch(10)
    rate_many(viewer, [RatingInput(t.pk, 10 * n) for n, t in enumerate(others)])
    rate(viewer, films[5], 95)
    rate(viewer, films[4], 15)
    assert person.get_absolute_url() == f"/people/{person.pk}/theo-van-gogh/"
    client.force_login(viewer)
    response = client.get(person.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "Theo van Gogh" in html
    roles = [label for label, _rows in response.context["roles"]]
    assert roles == ["Director", "Cast"]
    directed = response.context["roles"][0][1]
    assert [row["title"].name for row in directed] == [f"Film {n}" for n in range(5, -1, -1)]
    assert directed[0]["rating"].score == 95 and directed[2]["rating"] is None
    assert "as Himself" in html
    summary = response.context["summary"]
    assert (summary.rated, summary.titles) == (2, 6)
    assert "You rated <strong>2</strong> of their 6 titles" in html


def test_person_page_signed_out_and_bad_addresses(client, director):
    person, _films = director
    response = client.get(person.get_absolute_url())
    assert "Sign in</a> to see your scores" in response.content.decode()
    wrong_slug = client.get(f"/people/{person.pk}/someone-else/")
    assert wrong_slug.status_code == 301 and wrong_slug["Location"] == person.get_absolute_url()
    assert client.get("/people/999999/nobody/").status_code == 404


def test_every_name_on_a_title_page_links_to_its_person(client, director):
    person, films = director
    writer = PersonFactory(name="Writer Person")
    CreditFactory(title=films[0], person=writer, role=CreditRole.WRITER)
    html = client.get(films[0].get_absolute_url()).content.decode()
    assert f'<a href="{person.get_absolute_url()}">Theo van Gogh</a>' in html
    assert f'<a href="{writer.get_absolute_url()}">Writer Person</a>' in html


def test_search_finds_people_despite_a_typo(client, director):
    person, _films = director
    html = client.get(reverse("catalog:title-list"), {"q": "theo van gog"}).content.decode()
    assert f'href="{person.get_absolute_url()}">Theo van Gogh</a>' in html
    html = client.get(reverse("catalog:title-list"), {"q": "van gohg"}).content.decode()
    assert "Theo van Gogh" in html


def test_profile_shows_directors_rated_highest_and_lowest(client):
    member = UserFactory(username="ann")
    loved, hated = PersonFactory(name="Loved Director"), PersonFactory(name="Hated Director")
    entries = []
    for n in range(3):
        good, bad = TitleFactory(), TitleFactory()
        CreditFactory(title=good, person=loved)
        CreditFactory(title=bad, person=hated)
        entries += [RatingInput(good.pk, 90 + n), RatingInput(bad.pk, 10 + n)]
    rate_many(member, entries + [RatingInput(TitleFactory().pk, 50)])
    html = client.get(reverse("accounts:profile", args=["ann"])).content.decode()
    section = html[html.index("favourite-people-heading") :]
    assert section.index("Loved Director") < section.index("Hated Director")
    assert f'href="{loved.get_absolute_url()}"' in section


# Title page ratings list ----------------------------------------------------------------


@pytest.fixture
def rated_title():
    title = TitleFactory(name="Interview")
    viewer = UserFactory(username="viewer")
    close, far, quiet = (UserFactory(username=n) for n in ("close", "far", "quiet"))
    rate(far, title, 20, review="Far review.")
    rate(close, title, 80)
    rate(quiet, title, 50, review="Quiet review.")
    pair(viewer, close, 4.0)
    pair(viewer, far, 30.0)
    return title, viewer, close, far, quiet


def _authors(response) -> list[str]:
    return [r.user.username for r in response.context["reviews_page"]]


def test_ratings_list_shows_tci_and_sorts_by_compatibility(client, rated_title):
    title, viewer, *_ = rated_title
    client.force_login(viewer)
    response = client.get(title.get_absolute_url())
    html = response.content.decode()
    assert "TCI 4.0" in html and "TCI 30.0" in html
    assert _authors(response) == ["quiet", "close", "far"]  # newest first
    response = client.get(title.get_absolute_url(), {"sort": "compatible"})
    assert _authors(response) == ["close", "far", "quiet"]  # no TCI last


def test_reviews_only_and_people_you_follow_first(client, rated_title):
    title, viewer, close, far, quiet = rated_title
    services.follow(user=viewer, target=far)
    client.force_login(viewer)
    response = client.get(title.get_absolute_url(), {"reviews": "1"})
    assert _authors(response) == ["quiet", "far"]
    response = client.get(title.get_absolute_url(), {"following": "1"})
    assert _authors(response) == ["far", "quiet", "close"]
    assert 'class="badge followed-badge">Following' in response.content.decode()
    # The sort links keep the filters.
    assert "?sort=highest&amp;following=1#title-reviews" in response.content.decode()


def test_most_liked_sort_and_the_like_button(client, rated_title):
    title, viewer, close, far, quiet = rated_title
    services.like_review(user=viewer, rating=far.ratings.get())
    services.like_review(user=close, rating=far.ratings.get())
    services.like_review(user=viewer, rating=quiet.ratings.get())
    response = client.get(title.get_absolute_url(), {"sort": "liked"})
    assert _authors(response) == ["far", "quiet", "close"]
    client.force_login(viewer)
    html = client.get(title.get_absolute_url()).content.decode()
    assert (
        '<span class="visually-hidden">Unlike this review,</span> 2'
        '<span class="visually-hidden"> likes</span></button>'
    ) in html


def test_signed_out_visitors_get_no_compatible_sort(client, rated_title):
    title, *_ = rated_title
    response = client.get(title.get_absolute_url(), {"sort": "compatible"})
    assert response.context["review_sort"] == "newest"
    assert "Most compatible" not in response.content.decode()


# Following, notifications ---------------------------------------------------------------


def test_following_and_followers_pages_hide_private_members(client):
    ann, ben, shy = (UserFactory(username=n) for n in ("ann", "ben", "shy"))
    services.follow(user=ann, target=ben)
    services.follow(user=shy, target=ben)
    shy.visibility = "private"
    shy.save()
    html = client.get(reverse("social:followers", args=["ben"])).content.decode()
    assert 'href="/u/ann/"' in html and 'href="/u/shy/"' not in html
    html = client.get(reverse("social:following", args=["ann"])).content.decode()
    assert 'href="/u/ben/"' in html
    assert client.get(reverse("social:following", args=["shy"])).status_code == 404


def test_notifications_count_in_the_header_then_read(client):
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    review = rate(ann, TitleFactory(name="Interview"), 70, review="Mine.")
    services.follow(user=ben, target=ann)
    services.like_review(user=ben, rating=review)
    client.force_login(ann)
    html = client.get(reverse("catalog:title-list")).content.decode()
    assert '<span class="visually-hidden"> (2 unread)</span>' in html
    html = client.get(reverse("social:notifications")).content.decode()
    assert "started following you." in html and "liked your review of" in html
    assert html.count('class="badge unread-badge">New') == 2
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    html = client.get(reverse("catalog:title-list")).content.decode()
    assert "unread)" not in html


def test_notifications_older_than_90_days_are_dropped(client):
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    services.follow(user=ben, target=ann)
    Notification.objects.update(created_at=timezone.now() - timedelta(days=91))
    client.force_login(ann)
    html = client.get(reverse("social:notifications")).content.decode()
    assert "No notifications yet." not in html  # shown once more on this visit
    assert not Notification.objects.exists()


# Atom feeds -----------------------------------------------------------------------------


def test_member_feed_honours_privacy(client):
    ann = UserFactory(username="ann")
    rate(ann, TitleFactory(name="Interview"), 70, review="Feed me.")
    response = client.get(reverse("social:member-feed", args=["ann"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "Feed me." in response.content.decode()
    for visibility in ("members", "private"):
        ann.visibility = visibility
        ann.save()
        assert client.get(reverse("social:member-feed", args=["ann"])).status_code == 404
    assert client.get(reverse("social:member-feed", args=["nobody"])).status_code == 404


def test_collection_feed_only_for_public_collections(client):
    collection = CollectionFactory(name="Two-handers")
    CollectionItemFactory(collection=collection, title=TitleFactory(name="Interview"))
    url = reverse("social:collection-feed", args=[collection.pk])
    response = client.get(url)
    assert response.status_code == 200 and "Interview" in response.content.decode()
    collection.is_public = False
    collection.save()
    assert client.get(url).status_code == 404


def test_prune_notifications_command_deletes_only_old_ones():
    ann, ben, cy = (UserFactory(username=n) for n in ("ann", "ben", "cy"))
    services.follow(user=ben, target=ann)
    services.follow(user=cy, target=ann)
    old = Notification.objects.get(actor=ben)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    out = StringIO()
    call_command("prune_notifications", stdout=out)
    assert "Notifications deleted: 1" in out.getvalue()
    assert list(Notification.objects.values_list("actor__username", flat=True)) == ["cy"]


def test_person_summary_ranks_the_person_among_directors_rated_five_times():
    viewer = UserFactory(username="viewer")
    directors = [PersonFactory(name=f"Director {n}") for n in range(3)]
    entries = []
    for n, person in enumerate(directors):
        for k in range(5):
            title = TitleFactory()
            CreditFactory(title=title, person=person)
            entries.append(RatingInput(title.pk, 20 * n + k))  # director 2 best
    rate_many(viewer, entries)
    best = directors[2]
    titles = [c.title_id for c in best.credits.all()]
    ratings = viewer_ratings_by_title(viewer, titles)
    summary = person_summary(viewer, best, ratings, len(titles), CreditRole.DIRECTOR)
    # Three directors qualify; the best is above two and equal to itself:
    # floor(100 * (2 + 1/2) / 3) = 83.
    assert (summary.rated, summary.titles, summary.role_rank) == (5, 5, 83)
    worst = person_summary(
        viewer,
        directors[0],
        viewer_ratings_by_title(viewer, [c.title_id for c in directors[0].credits.all()]),
        5,
        CreditRole.DIRECTOR,
    )
    assert worst.role_rank == 16  # floor(100 * (0 + 1/2) / 3)
    assert worst.avg_percentile < summary.avg_percentile


def test_person_page_shows_probable_scores_in_few_queries(client, django_assert_max_num_queries):
    person = PersonFactory(name="Agnès Varda")
    seen = TitleFactory.create_batch(12)
    unseen = TitleFactory(name="Cléo from 5 to 7", year=1962)
    CreditFactory(title=unseen, person=person)
    for film in seen[:3]:
        CreditFactory(title=film, person=person)
    viewer = UserFactory(username="viewer")
    rate_many(viewer, [RatingInput(t.pk, 8 * i) for i, t in enumerate(seen, 1)])
    for n in range(3):
        mate = UserFactory(username=f"mate{n}")
        entries = [RatingInput(t.pk, 8 * i + n) for i, t in enumerate(seen, 1)]
        rate_many(mate, entries + [RatingInput(unseen.pk, 90 - n)])
    taste_services.rebuild_all()
    client.force_login(viewer)
    client.get(person.get_absolute_url())
    # Session, user, the person, the credits with titles, the viewer's ratings of them,
    # their own scores and the probable scores (two), the header's unread count.
    with django_assert_max_num_queries(8):
        response = client.get(person.get_absolute_url())
    row = next(r for r in response.context["roles"][0][1] if r["title"] == unseen)
    assert row["rating"] is None and row["psi"].ok
    assert f'<span class="badge psi-badge">{row["psi"].rounded}</span>' in response.content.decode()


def test_public_collection_page_links_its_feed(client):
    collection = CollectionFactory(name="Two-handers")
    feed = reverse("social:collection-feed", args=[collection.pk])
    assert f'href="{feed}"' in client.get(collection.get_absolute_url()).content.decode()
    collection.owner.visibility = "private"
    collection.owner.save()
    assert client.get(feed).status_code == 404

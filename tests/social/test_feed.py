"""The activity feed on the signed-in home page: what it shows (privacy), its cursor
paging, and its bounded number of queries at 10 and 1,000 followed members over
100,000 activity rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import Title
from collections_app.models import Collection
from moderation.services import suspend
from ratings.models import Rating
from ratings.services import rate
from social import services
from social.models import Follow
from taste.models import Compatibility
from tests.factories import CollectionFactory, TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def feed_texts(client, query: str = "") -> str:
    response = client.get(
        reverse("home") + query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="home-feed"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_feed_shows_followed_ratings_reviews_and_collections_with_tci(client):
    viewer = UserFactory(username="viewer", rating_scale="10")
    ben = UserFactory(username="ben")
    stranger = UserFactory(username="stranger")
    services.follow(user=viewer, target=ben)
    rate(ben, TitleFactory(name="Interview"), 73, review="Sharp and sour.")
    rate(ben, TitleFactory(name="Up"), 40)
    CollectionFactory(owner=ben, name="Two-handers")
    rate(stranger, TitleFactory(name="Stranger Things Film"), 90, review="Not followed.")
    Compatibility.objects.create(
        user_a=min(viewer, ben, key=lambda u: u.pk),
        user_b=max(viewer, ben, key=lambda u: u.pk),
        tci=7.2,
        common_count=12,
        computed_at=timezone.now(),
    )
    client.force_login(viewer)
    html = feed_texts(client)
    assert "Interview" in html and "Sharp and sour." in html
    assert "Up" in html and "Two-handers" in html
    assert "Not followed." not in html
    assert "TCI 7.2" in html  # the viewer's TCI with ben
    assert '<span class="review-score" title="Score on your scale">7</span>' in html  # 73 on 1-10
    # Newest first: the collection (created last) comes before the first rating.
    assert html.index("Two-handers") < html.index("Interview")


def test_private_and_suspended_members_never_appear_and_hidden_reviews_stay_hidden(client):
    viewer = UserFactory(username="viewer")
    shy, members_only, banned, hidden = (
        UserFactory(username=name) for name in ("shy", "members", "banned", "hidden")
    )
    for member in (shy, members_only, banned, hidden):
        services.follow(user=viewer, target=member)
    rate(shy, TitleFactory(), 50, review="Private words.")
    CollectionFactory(owner=shy, name="Private list")
    rate(members_only, TitleFactory(), 50, review="For members.")
    rate(banned, TitleFactory(), 50, review="Spam spam.")
    rating = rate(hidden, TitleFactory(), 50, review="Rude words.")
    Rating.objects.filter(pk=rating.pk).update(review_hidden=True)
    User.objects.filter(pk=shy.pk).update(visibility="private")
    User.objects.filter(pk=members_only.pk).update(visibility="members")
    suspend(banned, UserFactory(is_staff=True, is_superuser=True), "spam")
    client.force_login(viewer)
    html = feed_texts(client)
    assert "Private words." not in html and "Private list" not in html and ">shy<" not in html
    assert "Spam spam." not in html and ">banned<" not in html
    assert "For members." in html
    assert "Rude words." not in html and "This review is hidden by a moderator." in html


def test_cursor_pages_walk_everything_once_even_with_equal_times(client, settings):
    viewer = UserFactory(username="viewer")
    ben = UserFactory(username="ben")
    services.follow(user=viewer, target=ben)
    titles = TitleFactory.create_batch(45)
    for n, title in enumerate(titles):
        rate(ben, title, n * 2)
    collections = CollectionFactory.create_batch(3, owner=ben)
    # Distinct times a minute apart, newest last; then five ratings and all collections
    # at the very same instant (after the 18 newest ratings): the first page ends
    # between two of those ratings, the second page starts with the rest of them.
    start = timezone.now() - timedelta(days=1)
    for n, title in enumerate(titles):
        Rating.objects.filter(title=title).update(rated_at=start + timedelta(minutes=n))
    same = start + timedelta(minutes=26, seconds=30)
    Rating.objects.filter(title__in=titles[22:27]).update(rated_at=same)
    Collection.objects.filter(pk__in=[c.pk for c in collections]).update(created_at=same)
    client.force_login(viewer)
    seen, query, pages = [], "", 0
    while True:
        pages += 1
        response = client.get(reverse("home") + query)
        feed = response.context["feed"]["page"]
        seen += [(item.kind, item.pk) for item in feed.items]
        if not feed.next_cursor:
            break
        query = f"?after={feed.next_cursor}"
    assert pages == 3
    assert len(seen) == len(set(seen)) == 48
    expected_order = sorted(
        [("rating", r.pk, r.rated_at) for r in Rating.objects.filter(user=ben)]
        + [("collection", c.pk, c.created_at) for c in Collection.objects.filter(owner=ben)],
        key=lambda x: (x[2], x[0] == "rating", x[1]),
        reverse=True,
    )
    assert seen == [(kind, pk) for kind, pk, _at in expected_order]


@pytest.mark.parametrize(
    "cursor", ["garbage", "1.2.3", "1.1", "99999999999999999999.1.1", "-5.1.1"]
)
def test_a_broken_cursor_is_a_400_with_a_message(client, cursor):
    client.force_login(UserFactory())
    response = client.get(reverse("home"), {"after": cursor})
    assert response.status_code == 400
    assert "This page link is broken" in response.content.decode()


def test_soulmates_tab_reads_the_most_compatible_members(client):
    viewer = UserFactory(username="viewer")
    mate = UserFactory(username="mate")
    rate(mate, TitleFactory(name="Mate's pick"), 88, review="Soulmate review.")
    a, b = sorted((viewer.pk, mate.pk))
    Compatibility.objects.create(
        user_a_id=a,
        user_b_id=b,
        tci=5.0,
        common_count=20,
        tci_shrunk=6.0,
        computed_at=timezone.now(),
    )
    client.force_login(viewer)
    assert "Soulmate review." not in feed_texts(client)
    assert "Soulmate review." in feed_texts(client, "?feed=soulmates")


# Query counts at scale ------------------------------------------------------------------

USERS = User._meta.db_table
TITLES = Title._meta.db_table
RATINGS = Rating._meta.db_table
FOLLOWS = Follow._meta.db_table

MEMBERS_SQL = f"""
INSERT INTO {USERS} (password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, display_name, bio, avatar, rating_scale,
    prefers_compact, is_suspended, visibility, watchlist_public)
SELECT '!', false, 'bulk' || n, '', '', '', false, true, now(), '', '', '', '100',
       false, false, 'public', false
FROM generate_series(1, %s) AS n
"""
# 1,000 members x 100 titles: 100,000 ratings (with reviews), times spread over a year.
RATINGS_SQL = f"""
INSERT INTO {RATINGS} (user_id, title_id, score, percentile, review, rated_at, updated_at,
    review_hidden)
SELECT u.id, t.id, (u.id + t.id) % 101, NULL, 'Bulk review ' || u.id || '-' || t.id,
       now() - ((u.id * 100 + t.id) % 525600) * interval '1 minute', now(), false
FROM {USERS} u CROSS JOIN {TITLES} t
WHERE u.username LIKE 'bulk%%'
"""
FOLLOW_SQL = f"""
INSERT INTO {FOLLOWS} (follower_id, followee_id, created_at)
SELECT %s, id, now() FROM {USERS} WHERE username LIKE 'bulk%%' ORDER BY id LIMIT %s
"""


@pytest.fixture
def big_site(db):
    titles = [Title(name=f"Bulk title {n}", slug=f"bulk-title-{n}") for n in range(100)]
    Title.objects.bulk_create(titles)
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS_SQL, [1000])
        cursor.execute(RATINGS_SQL)
    assert Rating.objects.count() == 100_000
    return UserFactory(username="viewer")


def _home_queries(client, viewer, followed: int) -> tuple[int, list]:
    Follow.objects.filter(follower=viewer).delete()
    with connection.cursor() as cursor:
        cursor.execute(FOLLOW_SQL, [viewer.pk, followed])
    client.force_login(viewer)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    items = response.context["feed"]["page"].items
    with CaptureQueriesContext(connection) as next_queries:
        client.get(reverse("home"), {"after": response.context["feed"]["page"].next_cursor})
    assert len(next_queries) == len(queries)
    return len(queries), items


def test_the_home_feed_reads_in_a_bounded_number_of_queries(client, big_site):
    viewer = big_site
    at_10, items_10 = _home_queries(client, viewer, 10)
    at_1000, items_1000 = _home_queries(client, viewer, 1000)
    # Session and user, the generations of the home page's cached lists (the lists
    # themselves were cached by the first visit), the feed's ratings and collections,
    # the TCIs of the page's authors, the header's unread count.
    assert at_10 == at_1000 == 7
    assert len(items_10) == len(items_1000) == 20
    newest = list(
        Rating.objects.filter(user__username__startswith="bulk")
        .order_by("-rated_at", "-id")
        .values_list("pk", flat=True)[:20]
    )
    assert [item.pk for item in items_1000] == newest
    authors_10 = {item.user.pk for item in items_10}
    assert len(authors_10) <= 10

"""The cached shared sections (core/cache.py) are fresh on the request after a write.

Every section is read (so it is cached), then a rating, a review, a moderation hide, a
suspension or a title edit is made, and every section is read again: each must equal
what a cold cache renders, and the sections the write touches must show the change.
"""

import datetime
import os
import re
import uuid

import pytest
import redis
from django.core.cache import cache
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse

from accounts import services as accounts_services
from collections_app import services as collections_services
from core import cache as section_cache
from library import services as library_services
from moderation import services as moderation_services
from ratings.models import Rating
from ratings.services import RatingInput, rate, rate_many
from social import services as social_services
from taste.selectors import tcis_with
from tests.factories import CollectionFactory, TitleFactory, UserFactory
from tests.pages.test_query_counts import build

pytestmark = pytest.mark.django_db

# Per-response CSRF tokens (forms and htmx headers) are the only expected differences.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def sections(data) -> dict[str, str]:
    title = data["title"]
    kwargs = {"pk": title.pk, "slug": title.slug}
    return {
        "home": reverse("home"),
        "browse": reverse("catalog:title-list") + "?sort=percentile",
        "browse by ratings": reverse("catalog:title-list") + "?sort=ratings",
        "search": reverse("catalog:title-list") + "?q=intervew",
        "title page": title.get_absolute_url(),
        "title page, collections page 1": title.get_absolute_url() + "?collections_page=1",
        "ratings, highest first": title.get_absolute_url() + "?sort=highest",
        "statistics": reverse("catalog:title-statistics", kwargs=kwargs),
        "similar": reverse("catalog:title-similar", kwargs=kwargs),
        "similar of another title": reverse(
            "catalog:title-similar", kwargs={"pk": data["other"].pk, "slug": data["other"].slug}
        ),
        # Signed out, a profile's body is cached HTML too (pages.sections.profile_html).
        "profile": reverse("accounts:profile", args=[data["rated"].username]),
        "member's profile by score": reverse("accounts:profile", args=[data["member"].username])
        + "?sort=score",
    }


def member_sections(data) -> dict[str, str]:
    """A member's view of the title page: the ratings list is shared by all members
    (cached) with the viewer's TCI, follow badge, like button and report link per row."""
    url = data["title"].get_absolute_url()
    return {
        "member: title page": url,
        "member: ratings, highest first": url + "?sort=highest",
        "member: ratings, most liked": url + "?sort=liked",
        "member: reviews fragment": url + "?reviews=1",
    }


def read(client, urls: dict[str, str]) -> dict[str, str]:
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        pages[name] = CSRF.sub("", response.content.decode())
    return pages


@pytest.fixture
def scene(db):
    data = build(30)
    data["other"] = data["others"][0]
    data["viewer"] = data["unrated"]  # who reads the member's view
    return data


def check_fresh(client, data, write, changed: set[str]) -> dict[str, str]:
    """Read every section (cached), ``write()``, read again: every section equals a
    cold read, and those named in ``changed`` differ from before."""
    urls = sections(data)
    member_urls = member_sections(data)
    member = Client()
    member.force_login(data["viewer"])

    def read_all() -> dict[str, str]:
        return {**read(client, urls), **read(member, member_urls)}

    before = read_all()
    assert read_all() == before  # served from the cache, unchanged
    write()
    after = read_all()
    cache.clear()
    cold = read_all()
    stale = [name for name in after if after[name] != cold[name]]
    assert stale == []
    unchanged = [name for name in changed if after[name] == before[name]]
    assert unchanged == []
    return after


def test_a_new_rating_is_shown_by_every_section(client, scene):
    newcomer = UserFactory(username="newcomer", display_name="Newcomer Nell")

    def write():
        rate(newcomer, scene["title"], 100, review="Loved every minute.")

    after = check_fresh(
        client,
        scene,
        write,
        {"home", "browse", "browse by ratings", "title page", "ratings, highest first",
         "statistics", "search"},
    )  # fmt: skip
    assert "Loved every minute." in after["home"]
    assert "Newcomer Nell" in after["ratings, highest first"]


def test_a_changed_review_is_shown_by_every_section(client, scene):
    rating = Rating.objects.filter(title=scene["title"], user=scene["rated"]).get()

    def write():
        rate(scene["rated"], scene["title"], rating.score, review="Changed my mind entirely.")

    after = check_fresh(client, scene, write, {"home", "title page", "profile"})
    assert "Changed my mind entirely." in after["title page"]
    assert "Changed my mind entirely." in after["profile"]


def test_a_hidden_review_leaves_every_section(client, scene):
    rating = Rating.objects.filter(title=scene["title"], user=scene["rated"]).get()
    moderator = UserFactory(username="mod", is_staff=True, is_superuser=True)

    def write():
        moderation_services.hide_review(rating, moderator, reason="spoilers")

    after = check_fresh(client, scene, write, {"title page", "ratings, highest first", "profile"})
    assert "This review is hidden by a moderator" in after["title page"]
    assert "Mine" not in after["profile"]


def test_a_suspension_hides_the_members_reviews_in_every_section(client, scene):
    moderator = UserFactory(username="mod", is_staff=True, is_superuser=True)
    author = scene["member"]

    def write():
        moderation_services.suspend(author, moderator, reason="abuse")

    after = check_fresh(
        client,
        scene,
        write,
        {"home", "title page", "ratings, highest first", "member's profile by score"},
    )
    assert "This account is suspended" in after["member's profile by score"]


def test_a_title_edit_is_shown_by_every_section(client, scene):
    def write():
        other = scene["other"]
        other.name = "Renamed Picture"
        other.save()
        title = scene["title"]
        title.synopsis = "A brand new synopsis."
        title.save()

    after = check_fresh(
        client, scene, write, {"similar", "browse by ratings", "title page", "profile"}
    )
    assert "Renamed Picture" in after["similar"]
    assert "Renamed Picture" in after["profile"]  # the member rated it


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.mark.parametrize("backend", ["memory and database", "redis"])
def test_the_production_caches_are_fresh_after_the_commit(
    client, settings, backend, django_capture_on_commit_callbacks
):
    """The two caches the site runs with (Redis; or, when REDIS_URL is unset, local memory
    with the generations in the database), through a committed rating: with Redis its
    after-commit bump included."""
    if backend == "redis":
        location = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url(),
            # Never cleared (other databases may share this Redis): a prefix of its own.
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    else:
        location = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    # The other caches stay (with REDIS_URL set, sessions use "shared").
    settings.CACHES = {**settings.CACHES, "default": location}
    data = build(3)
    data["other"] = data["others"][0]
    urls = sections(data)
    before = read(client, urls)
    assert read(client, urls) == before
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rate(UserFactory(display_name="Committed Carl"), data["title"], 99, review="Committed.")
    assert bool(callbacks) == (backend == "redis")
    after = read(client, urls)
    assert "Committed." in after["home"]
    assert "Committed Carl" in after["ratings, highest first"]
    assert after["statistics"] != before["statistics"]


def test_an_import_of_many_titles_is_shown_by_every_section(client, scene):
    """A bulk write (more titles than MAX_TITLE_SCOPES) bumps every title's sections at
    once: the title's statistics and ratings are fresh too."""
    importer = UserFactory(username="importer", display_name="Importing Ida")
    extra = TitleFactory.create_batch(section_cache.MAX_TITLE_SCOPES)

    def write():
        entries = [RatingInput(t.pk, n * 2) for n, t in enumerate(extra)]
        rate_many(importer, [*entries, RatingInput(scene["title"].pk, 100, "Imported!")])

    after = check_fresh(
        client, scene, write, {"title page", "ratings, highest first", "statistics", "home"}
    )
    assert "Importing Ida" in after["ratings, highest first"]


# The HTML fragments (pages/sections.py) show a few things no service bumped for before:
# likes, public collections, people's and genres' names (pages/signals.py).


def test_a_like_is_shown_by_the_signed_out_ratings_list(client, scene):
    rating = Rating.objects.filter(title=scene["title"], user=scene["rated"]).get()

    def write():
        social_services.like_review(user=scene["unrated"], rating=rating)

    after = check_fresh(client, scene, write, {"title page", "member: title page"})
    assert 'title="Likes">♥ 1</span>' in after["title page"]
    # The member who liked it sees their own like on the shared list: "Unlike", pressed.
    liked_box = re.search(rf'<span class="like-box" id="like-{rating.pk}".*?</span>\n</span>',
                          after["member: title page"], re.S).group(0)  # fmt: skip
    assert 'aria-pressed="true"' in liked_box
    assert "Unlike this review" in liked_box


def test_the_members_follows_and_tcis_are_their_own_on_the_shared_list(client, scene):
    def write():
        social_services.follow(user=scene["viewer"], target=scene["rated"])

    after = check_fresh(client, scene, write, {"member: title page"})
    page = after["member: title page"]
    assert '<span class="badge followed-badge">Following</span>' in row_of(page, scene["rated"])
    assert page.count("followed-badge") == 1
    # Another member shares the cached list but sees neither that follow nor those TCIs.
    other = Client()
    other.force_login(scene["member"])
    theirs = other.get(scene["title"].get_absolute_url()).content.decode()
    assert "followed-badge" not in theirs
    raters = [scene["rated"], *scene["raters"][-3:]]  # on the first page
    for viewer, html in ((scene["viewer"], page), (scene["member"], theirs)):
        tcis = tcis_with(viewer, [rater.pk for rater in raters])
        shown = [re.search(r"TCI ([0-9.]+)<", row_of(html, rater)).group(1) for rater in raters]
        assert shown == [floatformat(tcis[rater.pk], 1) for rater in raters]
    assert tcis_with(scene["viewer"], [scene["rated"].pk]) != tcis_with(
        scene["member"], [scene["rated"].pk]
    )


def row_of(page: str, rater) -> str:
    """The row of ``rater``'s rating in a title page's ratings list."""
    rows = page.split('<li class="review">')[1:]
    return next(row for row in rows if f'href="/u/{rater.username}/"' in row)


def test_a_private_member_sees_their_own_rating_in_the_list(client, scene):
    private = UserFactory(username="hermit", display_name="Hermit Hal", visibility="private")
    rate(private, scene["title"], 90)
    mine = Client()
    mine.force_login(private)
    url = scene["title"].get_absolute_url() + "?sort=highest"
    viewer = Client()
    viewer.force_login(scene["viewer"])
    row = 'class="review-author" href="/u/hermit/"'
    assert row not in viewer.get(url).content.decode()  # cached for members
    assert row in mine.get(url).content.decode()
    assert row not in viewer.get(url).content.decode()


def test_a_collection_change_is_shown_by_the_title_page(client, scene):
    collection = CollectionFactory(owner=scene["unrated"], name="Brand New List")
    moderator = UserFactory(username="mod", is_staff=True, is_superuser=True)

    def add():
        collections_services.collection_add_title(collection, scene["title"])

    after = check_fresh(client, scene, add, {"title page"})
    assert "Brand New List" in after["title page"]

    def hide():
        moderation_services.hide_collection(collection, moderator, reason="spam")

    after = check_fresh(client, scene, hide, {"title page"})
    assert "Brand New List" not in after["title page"]


def test_a_renamed_person_or_genre_is_shown_by_every_section(client, scene):
    credit = scene["title"].credits.select_related("person").get()

    def write():
        credit.person.name = "Renamed Director"
        credit.person.save()
        genre = scene["title"].genres.get()
        genre.name = "Melodrama"
        genre.save()

    after = check_fresh(client, scene, write, {"title page", "browse", "search"})
    assert "Renamed Director" in after["title page"]
    assert "Melodrama" in after["title page"]
    assert "Melodrama" in after["browse"]  # the filter form


def test_a_title_losing_a_genre_is_shown_by_its_page(client, scene):
    def write():
        scene["title"].genres.clear()

    after = check_fresh(client, scene, write, {"title page"})
    assert "genre-link" not in after["title page"]


def test_a_renamed_member_is_shown_by_every_section(client, scene):
    """A member's new name beside their rating in a title's signed-out list and in the
    home page's recent reviews (the members scope)."""
    member = scene["rated"]

    def write():
        accounts_services.profile_update(
            member,
            display_name="Quite Renamed",
            bio=member.bio,
            rating_scale=member.rating_scale,
            prefers_compact=member.prefers_compact,
        )

    after = check_fresh(
        client, scene, write, {"title page", "ratings, highest first", "home", "profile"}
    )
    assert "Quite Renamed" in after["title page"]
    assert "Quite Renamed" in after["profile"]


# A profile (cached for signed-out visitors) also shows the member's follows, diary and
# collections, and changes with each of their ratings.


def test_the_members_own_rating_is_shown_by_their_profile(client, scene):
    fresh_title = TitleFactory(name="Unseen Until Now")

    def write():
        rate(scene["rated"], fresh_title, 35)

    after = check_fresh(client, scene, write, {"profile", "home"})
    assert "Unseen Until Now" in after["profile"]


def test_a_follow_is_shown_by_both_profiles(client, scene):
    def write():
        social_services.follow(user=scene["member"], target=scene["rated"])

    after = check_fresh(client, scene, write, {"profile", "member's profile by score"})
    assert "<strong>1</strong> follower" in after["profile"]


def test_viewings_are_shown_by_the_profile(client, scene):
    def log_one():
        library_services.viewing_create(
            user=scene["rated"], title=scene["title"], watched_on=datetime.date(2024, 5, 1)
        )

    after = check_fresh(client, scene, log_one, {"profile"})
    assert re.search(r'data-testid="viewings-total">1<', after["profile"])

    def import_two():  # bulk_create: no model signals
        entries = [
            library_services.ViewingInput(scene["title"].pk, datetime.date(2024, 6, day))
            for day in (1, 2)
        ]
        library_services.viewings_create_many(user=scene["rated"], entries=entries)

    after = check_fresh(client, scene, import_two, {"profile"})
    assert re.search(r'data-testid="viewings-total">3<', after["profile"])


def test_a_new_collection_is_shown_by_the_profile(client, scene):
    def write():
        collections_services.collection_create(scene["rated"], "Freshly Curated")

    after = check_fresh(client, scene, write, {"profile"})
    assert "Freshly Curated" in after["profile"]

"""Fuzz suite: every URL pattern and every form of the site, as an anonymous visitor, a
member, a moderator and a superuser, with the nasty values of tests/fuzz/nasty.py.

Asserts that no request raises or answers 5xx, that nothing redirects off the site,
and that nothing changed for other members (ann and bob: profile fields, ratings and
reviews, collections and their items). The superuser's admin phase is left out of that
last comparison (a superuser may change anyone through the admin); a moderator's run
is compared without the moderation flags moderators may set (hidden review, hidden
collection, suspension).

At least MIN_REQUESTS requests are sent in all; the count and the time are printed
at the end of the run (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import datetime
import logging
import random
import re
import time
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ImportBatch, User
from catalog.models import Title
from collections_app import services as collections
from collections_app.models import Collection, CollectionItem
from library import services as library_services
from library.models import Viewing, WatchlistEntry
from moderation import services as moderation
from moderation.selectors import target_for
from ratings.models import Rating
from ratings.services import rate
from tests.factories import (
    CreditFactory,
    GenreFactory,
    PersonFactory,
    TitleFactory,
    UserFactory,
    WatchLinkFactory,
)
from tests.fuzz import conftest as stats
from tests.fuzz.engine import (
    Fuzzer,
    link_params,
    nasty_file,
    page_forms,
    query_url,
    rotating,
    site_patterns,
    with_value,
)
from tests.fuzz.nasty import KNOWN_PARAMS, NASTY_PATH_VALUES, NASTY_VALUES

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "moderator", "superuser")
MIN_REQUESTS = 5_000
# Nasty values tried per (page, query parameter), per (form, field) and per path
# parameter; each pick is random but seeded, so a run is repeatable and every value is
# used many times over the whole suite.
VALUES_PER_PARAM = {"site": 2, "admin": 1}
VALUES_PER_FIELD = {"site": 3, "admin": 1}
PATH_VALUES = {"site": 8, "site_staff": 2, "admin": 1, "admin_refused": 1}
HTMX_TARGETS = ["title-reviews", "browse-results", "profile-ratings", "profile-reviews"]
PLAIN_CSV = b"title,year,score\nFuzz One,2001,70\nNo Such Film,1999,50\n"
PASSWORD = "correct horse battery staple"


# The world: a small catalog, two other members to watch, the actors, and fodder -------


def _member_content(user, titles, *, review: str, name: str):
    for index, title in enumerate(titles):
        rate(user, title, 40 + 10 * index, review=f"{review} {index}" if index % 2 == 0 else "")
    public = collections.collection_create(user, f"{name} public", "Shown to all.", True)
    private = collections.collection_create(user, f"{name} private", "Mine only.", False)
    for position, title in enumerate(titles[:3], start=1):
        collections.collection_add_title(public, title, f"note {position}")
        collections.collection_add_title(private, title)
    return public, private


def _upload(client, user):
    client.force_login(user)
    client.post(
        reverse("accounts:import"),
        {"file": SimpleUploadedFile("mine.csv", PLAIN_CSV), "plain_scale": "100"},
    )
    client.logout()
    return ImportBatch.objects.filter(user=user).order_by("-pk").first()


@pytest.fixture
def world(client):
    genres = [GenreFactory(name="Drama"), GenreFactory(name="Comedy")]
    titles = [TitleFactory(name=f"Fuzz {n}", year=1990 + n) for n in range(6)]
    titles[0].name = "Fuzz One"
    titles[0].year = 2001
    titles[0].save()
    for title in titles:
        title.genres.set(genres)
        CreditFactory(title=title)
        WatchLinkFactory(title=title)
    ann = UserFactory(username="ann", display_name="Ann", bio="Films.")
    bob = UserFactory(username="bob", display_name="Bob", rating_scale="5")
    carol = UserFactory(username="carol")
    mod = UserFactory(username="mod")
    moderation.grant_moderator(mod)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    ann_public, ann_private = _member_content(ann, titles, review="Ann says", name="Ann")
    _member_content(bob, titles[::-1], review="Bob says", name="Bob")
    carol_public, _ = _member_content(carol, titles[1:], review="Carol says", name="Carol")
    moderation.report(carol, target_for(Rating.objects.get(user=bob, title=titles[5])), "spam")
    ann_batch = _upload(client, ann)
    carol_batch = _upload(client, carol)
    viewings = [
        library_services.viewing_create(
            user=member, title=titles[2], watched_on=datetime.date(2020, 2, 2), note="Seen"
        )
        for member in (carol, ann)
    ]
    library_services.watchlist_add(user=ann, title=titles[3])

    # Fodder, created last: the admin's object ids point at it (the newest of each model),
    # so that a superuser's admin edits and deletions never touch ann's or bob's things.
    dave = UserFactory(username="dave")
    Group.objects.create(name="Fodder group")
    fodder_genre = GenreFactory(name="Fodder genre")
    fodder_title = TitleFactory(name="Fodder title")
    fodder_title.genres.add(fodder_genre)
    CreditFactory(title=fodder_title, person=PersonFactory(name="Fodder Person"))
    WatchLinkFactory(title=fodder_title)
    dave_rating = rate(dave, fodder_title, 50, review="Dave says")
    dave_collection, _ = _member_content(dave, [fodder_title], review="Dave", name="Dave")
    _upload(client, dave)
    moderation.report(carol, target_for(dave_rating), "spam")
    moderation.hide_collection(dave_collection, mod, "fodder")
    moderation.suspend(dave, mod, "fodder")
    client.logout()
    return SimpleNamespace(
        titles=titles,
        ann=ann,
        bob=bob,
        carol=carol,
        mod=mod,
        root=root,
        dave=dave,
        ann_public=ann_public,
        ann_private=ann_private,
        carol_public=carol_public,
        ann_batch=ann_batch,
        carol_batch=carol_batch,
        viewings=viewings,
        ann_rating=Rating.objects.get(user=ann, title=titles[0]),
        # Ids taken now: the member's own items may be removed during the walk.
        collections_and_items=[
            (c, _first_item(c).pk) for c in (carol_public, ann_public, ann_private)
        ],
    )


# Real values for every URL pattern's parameters -------------------------------------------


def _first_item(collection):
    return CollectionItem.objects.filter(collection=collection).order_by("position").first()


def real_kwargs(pattern, w) -> list[dict]:
    """Parameter values that reach real objects (the viewer's own and other members')."""
    if not pattern.params:
        return [{}]
    title = w.titles[0]
    name = pattern.name.split(":")[-1] if pattern.name else ""
    own = w.collections_and_items
    person = title.credits.select_related("person").first().person
    table = {
        "title-detail": [{"pk": title.pk, "slug": title.slug}, {"pk": title.pk, "slug": "old"}],
        "title-compact-view": [{"pk": title.pk, "slug": title.slug}],
        "title-similar": [{"pk": title.pk, "slug": title.slug}],
        "title-statistics": [{"pk": title.pk, "slug": title.slug}],
        "rate": [{"pk": title.pk}],
        "unrate": [{"pk": w.titles[1].pk}],
        "collection-detail": [{"pk": c.pk, "slug": c.slug} for c, _ in own],
        "collection-edit": [{"pk": c.pk} for c, _ in own],
        "collection-delete": [{"pk": c.pk} for c, _ in own[1:]],
        "item-add": [{"pk": c.pk} for c, _ in own],
        "item-remove": [{"pk": c.pk, "item_pk": item_pk} for c, item_pk in own],
        "item-move": [{"pk": c.pk, "item_pk": item_pk} for c, item_pk in own],
        "item-note": [{"pk": c.pk, "item_pk": item_pk} for c, item_pk in own],
        "title-collections": [{"title_pk": title.pk}],
        "title-add": [{"title_pk": title.pk}],
        "tci-explain": [{"username": "ann"}, {"username": "carol"}],
        "watchlist-add": [{"title_id": title.pk}],
        "watchlist-remove": [{"title_id": w.titles[3].pk}],
        "viewing-log": [{"title_id": title.pk}],
        "viewing-delete": [{"pk": viewing.pk} for viewing in w.viewings],
        "member-watchlist": [{"username": "ann"}, {"username": "carol"}],
        "diary": [{"username": "ann"}, {"username": "carol"}],
        "psi-explain": [{"title_id": title.pk}],
        "report": [
            {"kind": "review", "pk": w.ann_rating.pk},
            {"kind": "collection", "pk": w.ann_public.pk},
            {"kind": "profile", "pk": w.ann.pk},
        ],
        "profile": [{"username": "ann"}, {"username": "carol"}],
        "import-preview": [{"pk": w.carol_batch.pk}, {"pk": w.ann_batch.pk}],
        "import-resolve": [{"pk": w.carol_batch.pk}, {"pk": w.ann_batch.pk}],
        "import-pick": [{"pk": w.carol_batch.pk}, {"pk": w.ann_batch.pk}],
        "import-confirm": [{"pk": w.ann_batch.pk}],
        "import-cancel": [{"pk": w.ann_batch.pk}],
        "import-unmatched": [{"pk": w.carol_batch.pk}, {"pk": w.ann_batch.pk}],
        "password-reset-confirm": [
            {
                "uidb64": urlsafe_base64_encode(force_bytes(w.carol.pk)),
                "token": default_token_generator.make_token(w.carol),
            }
        ],
        "view_on_site": [
            {"content_type_id": ContentType.objects.get_for_model(Title).pk, "object_id": title.pk}
        ],
        "app_list": [{"app_label": label} for label in _admin_app_labels()],
        "auth_user_password_change": [{"id": w.dave.pk}],
        # Social (issue 15).
        "person-detail": [{"pk": person.pk, "slug": person.slug}, {"pk": person.pk, "slug": "old"}],
        "following": [{"username": "ann"}, {"username": "carol"}],
        "followers": [{"username": "ann"}, {"username": "carol"}],
        "follow": [{"username": "ann"}, {"username": "carol"}],
        "unfollow": [{"username": "ann"}],
        "member-feed": [{"username": "ann"}, {"username": "carol"}],
        "like": [{"pk": w.ann_rating.pk}],
        "unlike": [{"pk": w.ann_rating.pk}],
        "review-likes": [{"pk": w.ann_rating.pk}],
        "collection-feed": [{"pk": c.pk} for c, _ in own],
    }
    if name in table:
        return table[name]
    if match := re.match(r"admin/(\w+)/(\w+)/\{object_id\}/", pattern.template):
        model = apps.get_model(match[1], match[2])
        newest = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
        return [{"object_id": newest or 1}]
    if pattern.template == "admin/{url}":
        return [{"url": "nowhere/"}]
    if pattern.template == "media/{path}":
        return [{"path": "avatars/missing.png"}]
    raise AssertionError(f"no real values for the URL pattern {pattern}")


def _admin_app_labels() -> list[str]:
    return sorted({model._meta.app_label for model in admin.site._registry})


# Snapshots of the members nobody but themselves may change ------------------------------

MODERATION_FLAGS = {"review_hidden", "hidden_by_moderator", "is_suspended"}


def snapshot(users, *, ignore=frozenset()) -> dict:
    user_fields = ["username", "email", "password", "display_name", "bio", "rating_scale"]
    user_fields += ["prefers_compact", "is_active", "is_staff", "is_superuser", "is_suspended"]
    rating_fields = ["title_id", "score", "review", "review_hidden", "rated_at"]
    collection_fields = ["id", "name", "slug", "description", "is_public", "hidden_by_moderator"]

    def keep(fields):
        return [f for f in fields if f not in ignore]

    state = {}
    for user in users:
        state[user.username] = {
            "profile": User.objects.filter(pk=user.pk).values(*keep(user_fields)).first(),
            "avatar": str(User.objects.get(pk=user.pk).avatar),
            "ratings": list(
                Rating.objects.filter(user=user).order_by("title_id").values(*keep(rating_fields))
            ),
            "collections": list(
                Collection.objects.filter(owner=user)
                .order_by("id")
                .values(*keep(collection_fields))
            ),
            "items": list(
                CollectionItem.objects.filter(collection__owner=user)
                .order_by("collection_id", "position")
                .values("collection_id", "title_id", "position", "note")
            ),
            "batches": list(
                ImportBatch.objects.filter(user=user).order_by("id").values("id", "status")
            ),
            "viewings": list(
                Viewing.objects.filter(user=user)
                .order_by("id")
                .values("id", "title_id", "watched_on", "rewatch", "note")
            ),
            "watchlist": list(
                WatchlistEntry.objects.filter(user=user).order_by("title_id").values("title_id")
            ),
        }
    return state


# The walk ---------------------------------------------------------------------------------


class Walk:
    """Every request of one role, in phases; ``fuzzer`` holds the count and failures."""

    def __init__(self, fuzzer: Fuzzer, world, seed: str):
        self.f = fuzzer
        self.w = world
        self.rng = random.Random(seed)
        self.patterns = site_patterns()
        self.pages: list[str] = []

    def urls(self, admin_part: bool) -> list[tuple]:
        found = []
        for pattern in self.patterns:
            if pattern.template.startswith("admin/") != admin_part:
                continue
            for kwargs in real_kwargs(pattern, self.w):
                found.append((pattern, kwargs, pattern.url(**kwargs)))
        return found

    def paths(self, admin_part: bool, k: int) -> None:
        """Each pattern with real values (GET and an empty POST), then each parameter
        replaced by ``k`` nasty path values."""
        for pattern, kwargs, url in self.urls(admin_part):
            response = self.f.send("get", url)
            if response is not None and response.status_code == 200 and _is_html(response):
                self.pages.append(url)
            self.f.send("post", url)
            for param in pattern.params:
                for value in rotating(NASTY_PATH_VALUES, k, self.rng):
                    self.f.send("get", pattern.url(**{**kwargs, param: value}))

    def queries(self, k: int) -> None:
        """Every page's query parameters (its forms', its links' and the known ones)."""
        for url in self.pages:
            response = self.f.send("get", url)
            if response is None or not _is_html(response):
                continue
            params = set(KNOWN_PARAMS) | link_params(response, url)
            for form in page_forms(response, url):
                if form.method == "get":
                    params.update(form.names)
            for param in sorted(params):
                for value in rotating(NASTY_VALUES, k, self.rng):
                    self.f.send("get", query_url(url, {param: value}))
            target = self.rng.choice(HTMX_TARGETS)
            self.f.send("get", url, htmx=True, target=target)

    def forms(self, k: int) -> None:
        """Every POST form found on the pages: as a browser sends it, then each field
        (files included) replaced by nasty values, every other request through htmx."""
        seen = set()
        for url in self.pages:
            response = self.f.send("get", url)
            if response is None or not _is_html(response):
                continue
            for form in page_forms(response, url):
                if form.method != "post" or form.key in seen:
                    continue
                seen.add(form.key)
                self.f.send("post", form.action, with_value(form.fields, "_", ""))
                names = [n for n in dict.fromkeys(form.names) if n != "csrfmiddlewaretoken"]
                for name in names:
                    if name in form.files:
                        values = [nasty_file(i) for i in range(k)]
                    else:
                        values = rotating(NASTY_VALUES, k, self.rng)
                        values += [v for v in form.options.get(name, [])[:3] if v]
                    for index, value in enumerate(values):
                        data = with_value(form.fields, name, value)
                        self.f.send("post", form.action, data, htmx=index % 2 == 1)

    def admin_actions(self) -> None:
        """Every registered admin's changelist: each action with non-integer and
        out-of-range selections."""
        for model in admin.site._registry:
            meta = model._meta
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
            response = self.f.send("get", url)
            actions = {"delete_selected"}
            if response is not None and _is_html(response):
                for form in page_forms(response, url):
                    actions.update(v for v in form.options.get("action", []) if v)
            for action in sorted(actions):
                for value in rotating(NASTY_VALUES, 2, self.rng):
                    data = {"action": action, "_selected_action": value, "index": "0"}
                    self.f.send("post", url, data)
                    self.f.send("post", url, {**data, "post": "yes", "apply": "1"})


def _is_html(response) -> bool:
    return not response.streaming and response.get("Content-Type", "").startswith("text/html")


def _logins(client, user):
    def relogin():
        client.force_login(user)

    return relogin


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Thousands of 4xx answers would each log a warning."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


RELOGIN_PATHS = ("/logout/", "/admin/logout/", "/account/password/", "/password-reset/")


@pytest.mark.parametrize("role", ROLES)
def test_no_request_fails_and_nothing_changes_for_other_members(client, world, role, settings):
    settings.AXES_ENABLED = True
    started = time.monotonic()
    actor = {"member": world.carol, "moderator": world.mod, "superuser": world.root}.get(role)
    fuzzer = Fuzzer(client)
    if actor is not None:
        client.force_login(actor)
        fuzzer.relogin = _logins(client, actor)
        fuzzer.relogin_paths = RELOGIN_PATHS
    ignore = MODERATION_FLAGS if role == "moderator" else frozenset()
    others = [world.ann, world.bob]
    before = snapshot(others, ignore=ignore)
    staff = role in ("moderator", "superuser")

    # The site: every page and form. Query strings are fuzzed as a visitor and as a
    # member; staff see the same pages, so their time goes to the admin instead.
    walk = Walk(fuzzer, world, seed=role)
    walk.paths(admin_part=False, k=PATH_VALUES["site_staff" if staff else "site"])
    if not staff:
        walk.queries(VALUES_PER_PARAM["site"])
    walk.forms(VALUES_PER_FIELD["site"])
    site_pages = len(walk.pages)
    if role == "superuser":
        # Compared before the admin: a superuser may change anyone there.
        assert snapshot(others, ignore=ignore) == before

    # The admin: for staff, every page, query parameter, form and action.
    walk.pages = []
    walk.paths(admin_part=True, k=PATH_VALUES["admin" if staff else "admin_refused"])
    if staff:
        walk.queries(VALUES_PER_PARAM["admin"])
        walk.forms(VALUES_PER_FIELD["admin"])
        walk.admin_actions()

    stats.record(role, fuzzer.count, time.monotonic() - started)
    problems = "\n".join(str(failure) for failure in fuzzer.failures[:80])
    assert not fuzzer.failures, f"{len(fuzzer.failures)} failing requests:\n{problems}"
    assert site_pages >= 15, "the walk reached too few pages to mean anything"
    if role != "superuser":
        assert snapshot(others, ignore=ignore) == before


def test_the_suite_sent_enough_requests():
    """Runs after the four roles (file order): together they sent MIN_REQUESTS or more."""
    assert set(stats.COUNTS) == set(ROLES)
    assert sum(stats.COUNTS.values()) >= MIN_REQUESTS

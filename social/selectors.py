"""Reads of the social app: follows, the activity feed, likes, notifications, Atom items.

Privacy: a member's activity is read only when their profile is visible to the viewer
(``User.visibility``); the feed leaves out private and suspended members entirely, and
a hidden review shows as hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from collections_app.models import Collection
from ratings.models import Rating
from social.models import Follow, Notification, ReviewLike

PEOPLE_PER_PAGE = 50
FEED_PAGE_SIZE = 20
NOTIFICATIONS_PER_PAGE = 30
ATOM_ITEMS = 30


def _private() -> str:
    return get_user_model().Visibility.PRIVATE


# Follows --------------------------------------------------------------------------------


def _count_of(links: QuerySet, field: str):
    counts = links.order_by().values(field).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def follow_panel(viewer, member) -> dict:
    """What the follow button on a profile needs: the member's follower and following
    counts and whether the viewer follows them, in one query."""
    me = viewer.pk if viewer.is_authenticated else None
    row = (
        get_user_model()
        .objects.filter(pk=member.pk)
        .annotate(
            n_following=_count_of(Follow.objects.filter(follower_id=OuterRef("pk")), "follower_id"),
            n_followers=_count_of(Follow.objects.filter(followee_id=OuterRef("pk")), "followee_id"),
            viewer_follows=Exists(
                Follow.objects.filter(follower_id=me, followee_id=OuterRef("pk"))
            ),
        )
        .values("n_following", "n_followers", "viewer_follows")
        .get()
    )
    return {
        "member": member,
        "is_self": me == member.pk,
        "signed_in": viewer.is_authenticated,
        "is_following": bool(me) and me != member.pk and row["viewer_follows"],
        "follow_counts": {"following": row["n_following"], "followers": row["n_followers"]},
    }


def followed_ids(viewer, user_ids) -> set[int]:
    """Which of these members the viewer follows (one query; none signed out)."""
    if not viewer.is_authenticated:
        return set()
    return set(
        Follow.objects.filter(follower_id=viewer.pk, followee_id__in=list(user_ids)).values_list(
            "followee_id", flat=True
        )
    )


def _people_page(links: QuerySet, person_field: str, viewer, page_number) -> Page:
    """A page of the members at one end of follow links, newest first, without the
    private members (unless the viewer is one of them or staff) and suspended ones."""
    links = links.filter(**{f"{person_field}__is_suspended": False}).select_related(person_field)
    if not (viewer.is_authenticated and viewer.is_staff):
        hidden = Q(**{f"{person_field}__visibility": _private()})
        if viewer.is_authenticated:
            hidden &= ~Q(**{f"{person_field}_id": viewer.pk})
        else:
            hidden |= Q(**{f"{person_field}__visibility": get_user_model().Visibility.MEMBERS})
        links = links.exclude(hidden)
    return Paginator(links.order_by("-created_at", "-id"), PEOPLE_PER_PAGE).get_page(page_number)


def following_page(member, viewer, page_number) -> Page:
    """The members `member` follows (``link.followee``)."""
    return _people_page(Follow.objects.filter(follower=member), "followee", viewer, page_number)


def followers_page(member, viewer, page_number) -> Page:
    """The members following `member` (``link.follower``)."""
    return _people_page(Follow.objects.filter(followee=member), "follower", viewer, page_number)


def followed_user_ids(viewer) -> frozenset[int]:
    """Everyone the viewer follows (one query), for follow buttons on other apps' pages."""
    return frozenset(
        Follow.objects.filter(follower_id=viewer.pk).values_list("followee_id", flat=True)
    )


def followee_ids(viewer) -> QuerySet:
    """The ids of the members the viewer follows, as a subquery (never read alone)."""
    return Follow.objects.filter(follower_id=viewer.pk).values("followee_id")


# Likes ----------------------------------------------------------------------------------


def like_annotations(viewer) -> dict:
    """Annotations for a Rating queryset: ``likes_count`` and ``viewer_liked`` (subqueries,
    so a list of ratings reads its likes in the same query)."""
    counts = (
        ReviewLike.objects.filter(rating_id=OuterRef("pk"))
        .order_by()
        .values("rating_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    annotations = {"likes_count": Coalesce(Subquery(counts, output_field=IntegerField()), 0)}
    if viewer.is_authenticated:
        annotations["viewer_liked"] = Exists(
            ReviewLike.objects.filter(rating_id=OuterRef("pk"), user_id=viewer.pk)
        )
    else:
        annotations["viewer_liked"] = Value(False, output_field=BooleanField())
    return annotations


def followed_annotation(viewer) -> dict:
    """``author_followed`` on a Rating queryset: does the viewer follow the rater?"""
    if not viewer.is_authenticated:
        return {"author_followed": Value(False, output_field=BooleanField())}
    return {
        "author_followed": Exists(
            Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("user_id"))
        )
    }


def likeable_rating(pk: int) -> Rating:
    """A rating for the like views, with its author (404 handled by the caller)."""
    return Rating.objects.select_related("user", "title").get(pk=pk)


def review_likers(rating: Rating, limit: int = 50) -> list:
    """Who liked a review, newest first (suspended members left out)."""
    likes = (
        ReviewLike.objects.filter(rating=rating, user__is_suspended=False)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )
    return [like.user for like in likes]


# Activity feed --------------------------------------------------------------------------

RATING, COLLECTION = "rating", "collection"
# Items are ordered by (time, kind rank, id), newest first; the cursor is the last
# item's key, so a page never repeats or skips an item even when times are equal.
KIND_RANK = {RATING: 1, COLLECTION: 0}


@dataclass
class Activity:
    kind: str
    at: datetime
    pk: int
    user: object
    rating: Rating | None = None
    collection: Collection | None = None
    tci: float | None = None

    @property
    def cursor(self) -> str:
        micros = int(self.at.timestamp() * 1_000_000)
        return f"{micros}.{KIND_RANK[self.kind]}.{self.pk}"


@dataclass
class ActivityPage:
    items: list[Activity] = field(default_factory=list)
    next_cursor: str | None = None


def parse_cursor(value: str | None) -> tuple[datetime, int, int] | None:
    """The (time, kind rank, id) of a cursor, None for none; ValidationError if malformed."""
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdecimal() for p in parts):
        raise ValidationError("This page link is broken: start from the top.", code="bad_cursor")
    micros, rank, pk = (int(p) for p in parts)
    if rank not in KIND_RANK.values() or micros > 10**17:
        raise ValidationError("This page link is broken: start from the top.", code="bad_cursor")
    return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), rank, pk


def _before(cursor, kind: str, time_field: str) -> Q:
    """Rows of `kind` that come after the cursor in the feed's order."""
    if cursor is None:
        return Q()
    at, rank, pk = cursor
    mine = KIND_RANK[kind]
    older = Q(**{f"{time_field}__lt": at})
    if mine < rank:
        return older | Q(**{time_field: at})
    if mine == rank:
        return older | Q(**{time_field: at, "pk__lt": pk})
    return older


def activity_page(viewer, authors, cursor: str | None = None, size: int = FEED_PAGE_SIZE):
    """One page of the activity of `authors` (a subquery or list of user ids): their
    ratings and reviews and their new public collections, newest first. Private and
    suspended members never appear; hidden reviews are marked. Two queries whatever the
    number of authors or rows (each stream reads at most ``size + 1`` rows by index)."""
    position = parse_cursor(cursor)
    private = _private()
    ratings = list(
        Rating.objects.filter(user_id__in=authors, user__is_suspended=False)
        .exclude(user__visibility=private)
        .exclude(user_id=viewer.pk)
        .filter(_before(position, RATING, "rated_at"))
        .select_related("user", "title")
        .annotate(**like_annotations(viewer))
        .order_by("-rated_at", "-id")[: size + 1]
    )
    collections = list(
        Collection.objects.public()
        .filter(owner_id__in=authors)
        .exclude(owner__visibility=private)
        .exclude(owner_id=viewer.pk)
        .filter(_before(position, COLLECTION, "created_at"))
        .select_related("owner")
        .order_by("-created_at", "-id")[: size + 1]
    )
    items = [Activity(RATING, r.rated_at, r.pk, r.user, rating=r) for r in ratings] + [
        Activity(COLLECTION, c.created_at, c.pk, c.owner, collection=c) for c in collections
    ]
    items.sort(key=lambda a: (a.at, KIND_RANK[a.kind], a.pk), reverse=True)
    page = ActivityPage(items[:size])
    if len(items) > size:
        page.next_cursor = page.items[-1].cursor
    return page


# Notifications --------------------------------------------------------------------------


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notifications_page(user, page_number) -> Page:
    """A page of the member's notifications, newest first, with who and which review."""
    notifications = Notification.objects.filter(recipient_id=user.pk).select_related(
        "actor", "rating__title"
    )
    return Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(page_number)


# Atom feeds -----------------------------------------------------------------------------


def member_feed_ratings(member, limit: int = ATOM_ITEMS) -> list[Rating]:
    """A member's newest ratings and reviews for their Atom feed (the caller checks that
    the member is public); hidden review text is left out by the feed."""
    return list(
        Rating.objects.filter(user=member)
        .select_related("title", "user")
        .order_by("-rated_at", "-id")[:limit]
    )


def like_state(viewer, rating: Rating) -> Rating:
    """The rating again with ``likes_count`` and ``viewer_liked`` (the like button)."""
    return (
        Rating.objects.select_related("user", "title")
        .annotate(**like_annotations(viewer))
        .get(pk=rating.pk)
    )

"""Writes the cached HTML of pages/sections.py shows, outside the services that bump.

The ratings, moderation, accounts and catalog services bump the generations of what they
change (core/cache.py). The HTML fragments show a few things those bumps did not cover,
because nothing cached them before: the names of a title's people and genres (its page's
top, the browse filters), the likes beside a title's reviews and the public collections
holding a title. Those rows are written by the admin, the importers, social.services,
collections_app.services and moderation.services through the ORM (save, create,
delete), so their model signals mark what changed (in the writer's transaction, like
every bump). The same goes for what a profile shows besides ratings: follows, viewings
and watchlist entries (library.services marks its bulk writes itself).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog.models import Credit, Genre, Person, Title, WatchLink
from collections_app.models import Collection, CollectionItem
from core import cache as section_cache
from library.models import Viewing, WatchlistEntry
from moderation.models import HiddenCollection
from ratings.models import Rating
from social.models import Follow, ReviewLike


def _credit_or_link_changed(sender, instance, **kwargs):
    """A credit or watch link: its title's page (and the lists)."""
    section_cache.titles_edited([instance.title_id])


def _person_changed(sender, instance, **kwargs):
    """A person's name is on the pages of their titles and in search's people list."""
    title_ids = Credit.objects.filter(person_id=instance.pk).values_list("title_id", flat=True)
    section_cache.titles_edited(set(title_ids))
    section_cache.bump(section_cache.CATALOG)


def _genre_changed(sender, instance, **kwargs):
    """A genre's name is on the browse filters and the pages of its titles: all of them."""
    section_cache.bump(section_cache.CATALOG, section_cache.ALL_TITLES, section_cache.TITLE_FIELDS)


def _title_genres_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # genre.titles.add(...): the titles are pk_set (all of them on clear)
        if pk_set is None:
            section_cache.bump(
                section_cache.CATALOG, section_cache.ALL_TITLES, section_cache.TITLE_FIELDS
            )
        else:
            section_cache.titles_edited(pk_set)
    else:
        section_cache.titles_edited([instance.pk])


def _like_changed(sender, instance, **kwargs):
    """The likes count beside a review, on its title's page (signed-out list)."""
    # The rating row's own title_id: a lookup by primary key. (Through Title.objects,
    # which joins the stats table and orders by name, the planner chose a scan of the
    # ratings per like on a freshly filled database: 2.5 s a like while seeding.)
    title_id = (
        Rating.objects.filter(pk=instance.rating_id).values_list("title_id", flat=True).first()
    )
    if title_id is not None:
        section_cache.bump(section_cache.title_scope(title_id))


def _collection_changed(sender, instance, **kwargs):
    """A collection (its name, visibility, size, order by last change), one of its
    titles, or a moderator hiding it: the "Collections" section of title pages."""
    section_cache.bump(section_cache.COLLECTIONS)


def _diary_changed(sender, instance, **kwargs):
    """A viewing or watchlist entry: its member's profile (the diary's counts)."""
    section_cache.members_changed([instance.user_id])


def _follow_changed(sender, instance, **kwargs):
    """Both profiles show their follower and following counts."""
    section_cache.members_changed([instance.follower_id, instance.followee_id])


def connect() -> None:
    for model in (Collection, CollectionItem, HiddenCollection):
        uid = f"pages-collections-{model.__name__}"
        post_save.connect(_collection_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_collection_changed, sender=model, dispatch_uid=f"{uid}-delete")
    for model in (Credit, WatchLink):
        post_save.connect(_credit_or_link_changed, sender=model, dispatch_uid=f"pages-{model}")
        post_delete.connect(_credit_or_link_changed, sender=model, dispatch_uid=f"pages-d{model}")
    post_save.connect(_person_changed, sender=Person, dispatch_uid="pages-person")
    post_delete.connect(_person_changed, sender=Person, dispatch_uid="pages-dperson")
    post_save.connect(_genre_changed, sender=Genre, dispatch_uid="pages-genre")
    post_delete.connect(_genre_changed, sender=Genre, dispatch_uid="pages-dgenre")
    m2m_changed.connect(
        _title_genres_changed, sender=Title.genres.through, dispatch_uid="pages-title-genres"
    )
    for model in (Viewing, WatchlistEntry, Follow):
        handler = _follow_changed if model is Follow else _diary_changed
        post_save.connect(handler, sender=model, dispatch_uid=f"pages-member-{model}")
        post_delete.connect(handler, sender=model, dispatch_uid=f"pages-member-d{model}")
    post_save.connect(_like_changed, sender=ReviewLike, dispatch_uid="pages-like")
    post_delete.connect(_like_changed, sender=ReviewLike, dispatch_uid="pages-dlike")

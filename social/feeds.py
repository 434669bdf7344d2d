"""Atom feeds (django.contrib.syndication): a member's ratings and reviews, and a public
collection. Feed readers are anonymous, so a feed exists only for what everyone may see:
a member whose profile is public, a collection that is public; anything else is a 404."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from collections_app.models import Collection, CollectionItem
from social.selectors import ATOM_ITEMS, member_feed_ratings


class MemberFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, username: str):
        member = get_object_or_404(get_user_model(), username=username, is_active=True)
        if member.is_suspended or not member.is_visible_to(AnonymousUser()):
            raise Http404("No feed for this member.")
        return member

    def title(self, member):
        return f"{member.shown_name}'s ratings and reviews"

    def link(self, member):
        return member.get_absolute_url()

    def subtitle(self, member):
        return f"The newest ratings and reviews of {member.shown_name} on Movie Ratings."

    def items(self, member):
        return member_feed_ratings(member)

    def item_title(self, rating):
        kind = "Reviewed" if rating.review and not rating.review_hidden else "Rated"
        return f"{kind} {rating.title}: {rating.score}/100"

    def item_description(self, rating):
        if rating.review and not rating.review_hidden:
            return rating.review
        return f"Scored {rating.score} out of 100."

    def item_link(self, rating):
        return rating.title.get_absolute_url()

    def item_guid(self, rating):
        return f"rating-{rating.pk}-{int(rating.updated_at.timestamp())}"

    item_guid_is_permalink = False

    def item_pubdate(self, rating):
        return rating.rated_at

    def item_updateddate(self, rating):
        return rating.updated_at


class CollectionFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, pk: int):
        collection = (
            Collection.objects.public()
            .exclude(owner__visibility=get_user_model().Visibility.PRIVATE)
            .select_related("owner")
            .filter(pk=pk)
            .first()
        )
        if collection is None or not collection.owner.is_visible_to(AnonymousUser()):
            raise Http404("No feed for this collection.")
        return collection

    def title(self, collection):
        return f"{collection.name}, a collection by {collection.owner.shown_name}"

    def link(self, collection):
        return collection.get_absolute_url()

    def subtitle(self, collection):
        return collection.description or f"Titles added to {collection.name}."

    def items(self, collection):
        return (
            CollectionItem.objects.filter(collection=collection)
            .select_related("title")
            .order_by("-added_at", "-id")[:ATOM_ITEMS]
        )

    def item_title(self, item):
        return str(item.title)

    def item_description(self, item):
        return item.note or item.title.synopsis

    def item_link(self, item):
        return item.title.get_absolute_url()

    def item_guid(self, item):
        return f"collection-item-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.added_at

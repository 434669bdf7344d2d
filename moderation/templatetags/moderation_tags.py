"""{% report_link obj %}: the small "Report" link beside a review, collection or profile.

For its owner the same place shows instead whether moderators have hidden the item, and
on a suspended member's profile everyone sees that the account is suspended. It needs
no query for reviews; collections and profiles look their state up with one query.
"""

from django import template
from django.contrib.auth import get_user_model

from collections_app.models import Collection
from moderation import selectors
from moderation.models import Kind
from ratings.models import Rating

register = template.Library()


@register.inclusion_tag("moderation/_report_link.html", takes_context=True)
def report_link(context, obj):
    request = context.get("request")
    viewer = getattr(request, "user", None) or context.get("user")
    viewer_id = getattr(viewer, "pk", None)
    result = {"kind": None, "notice": "", "obj": obj}
    if isinstance(obj, Rating):
        shown = obj.review and not obj.review_hidden and not getattr(obj, "author_suspended", False)
        if shown and obj.user_id != viewer_id:
            result.update(kind=Kind.REVIEW, what=f"review by {obj.user.shown_name}")
    elif isinstance(obj, Collection):
        if obj.owner_id == viewer_id:
            hiding = selectors.collection_hiding(obj)
            if hiding is not None:
                result["notice"] = "A moderator has hidden this collection; only you can see it."
                result["notice_reason"] = hiding.reason
        elif obj.is_public:
            result.update(kind=Kind.COLLECTION, what=f"collection “{obj.name}”")
    elif isinstance(obj, get_user_model()):
        if selectors.is_suspended(obj):
            result["notice"] = "This account is suspended; its reviews and collections are hidden."
        elif obj.pk != viewer_id:
            result.update(kind=Kind.PROFILE, what=f"profile of {obj.shown_name}")
    return result

"""Views of the social app: follow and like buttons (POST, htmx or plain forms), the
following and followers lists, who liked a review, notifications."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from core.http import safe_next
from ratings.models import Rating
from social import selectors, services

# Refusals that mean "that is not there for you" rather than "you may not".
NOT_FOUND_CODES = {"not_visible", "not_following", "not_liked"}
CONFLICT_CODES = {"already_following", "already_liked"}


def _status_for(error: ValidationError) -> int:
    if error.code in NOT_FOUND_CODES:
        return 404
    if error.code in CONFLICT_CODES:
        return 409
    if error.code == "too_many_likes":
        return 429
    return 400 if error.code in {"self_follow", "no_review"} else 403


def _member(username: str, viewer):
    member = get_object_or_404(get_user_model(), username=username, is_active=True)
    if not member.is_visible_to(viewer):
        raise Http404("No such member.")
    return member


def _refused(request, error: ValidationError, fallback: str) -> HttpResponse:
    """A refused follow or like: the reason with a 4xx (plain text for htmx, which shows
    it beside the button; a short page with a way back otherwise). Nothing was written."""
    message = " ".join(error.messages)
    status = _status_for(error)
    if request.htmx:
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    context = {"message": message, "back": safe_next(request, fallback)}
    return render(request, "social/refused.html", context, status=status)


@login_required
@require_POST
def follow(request, username: str):
    member = _member(username, request.user)
    try:
        services.follow(user=request.user, target=member)
    except ValidationError as error:
        return _refused(request, error, member.get_absolute_url())
    return _follow_done(request, member, f"You now follow {member.shown_name}.")


@login_required
@require_POST
def unfollow(request, username: str):
    member = get_object_or_404(get_user_model(), username=username)
    try:
        services.unfollow(user=request.user, target=member)
    except ValidationError as error:
        return _refused(request, error, member.get_absolute_url())
    return _follow_done(request, member, f"You no longer follow {member.shown_name}.")


def _follow_done(request, member, notice: str) -> HttpResponse:
    if request.htmx:
        context = selectors.follow_panel(request.user, member)
        return render(request, "social/_follow_button.html", {"follow": context})
    messages.success(request, notice)
    return redirect(safe_next(request, member.get_absolute_url()))


@require_safe
def following(request, username: str):
    member = _member(username, request.user)
    page = selectors.following_page(member, request.user, request.GET.get("page"))
    people = [link.followee for link in page]
    return _people(request, member, page, people, "following")


@require_safe
def followers(request, username: str):
    member = _member(username, request.user)
    page = selectors.followers_page(member, request.user, request.GET.get("page"))
    people = [link.follower for link in page]
    return _people(request, member, page, people, "followers")


def _people(request, member, page, people, which: str) -> HttpResponse:
    followed = selectors.followed_ids(request.user, [p.pk for p in people])
    context = {
        "member": member,
        "page_obj": page,
        "people": [(person, person.pk in followed) for person in people],
        "which": which,
    }
    return render(request, "social/people.html", context)


def _rating(pk: int) -> Rating:
    try:
        return selectors.likeable_rating(pk)
    except Rating.DoesNotExist:
        raise Http404("No such review.") from None


@login_required
@require_POST
def like(request, pk: int):
    rating = _rating(pk)
    try:
        services.like_review(user=request.user, rating=rating)
    except ValidationError as error:
        return _refused(request, error, rating.title.get_absolute_url())
    return _like_done(request, rating, "You like this review.")


@login_required
@require_POST
def unlike(request, pk: int):
    rating = _rating(pk)
    try:
        services.unlike_review(user=request.user, rating=rating)
    except ValidationError as error:
        return _refused(request, error, rating.title.get_absolute_url())
    return _like_done(request, rating, "You no longer like this review.")


def _like_done(request, rating: Rating, notice: str) -> HttpResponse:
    if request.htmx:
        state = selectors.like_state(request.user, rating)
        return render(request, "social/_like_button.html", {"rating": state, "user": request.user})
    messages.success(request, notice)
    return redirect(safe_next(request, rating.title.get_absolute_url()))


@login_required
@require_safe
def review_likes(request, pk: int):
    """Who liked a review: shown to its author (and staff)."""
    rating = _rating(pk)
    if rating.user_id != request.user.pk and not request.user.is_staff:
        raise PermissionDenied("Only the author of a review sees who liked it.")
    context = {"rating": rating, "likers": selectors.review_likers(rating)}
    return render(request, "social/review_likes.html", context)


@login_required
@require_safe
def notifications(request):
    """The list marks everything read once seen (a write on GET, on purpose: opening the
    page is what "seen" means; nothing else changes)."""
    page = selectors.notifications_page(request.user, request.GET.get("page"))
    items = list(page)
    unread_ids = {n.pk for n in items if n.read_at is None}
    services.mark_notifications_read(user=request.user)
    context = {
        "page_obj": page,
        "notifications": items,
        "unread_ids": unread_ids,
        "unread_notifications": 0,
    }
    return render(request, "social/notifications.html", context)

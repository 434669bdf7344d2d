"""The moderation queue in the admin: what moderators see, and each action."""

import pytest
from django.urls import reverse

from moderation.models import Case, CaseStatus, HiddenCollection, ModerationAction, Resolution, Verb
from moderation.selectors import is_suspended
from ratings.models import Rating
from tests.factories import UserFactory
from tests.html import select, select_one, texts

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:moderation_case_changelist")


def run_action(client, action: str, cases, reason: str = "", url: str = QUEUE):
    """Choose the action, then confirm it with a reason on the confirmation page."""
    ids = [case.pk for case in cases]
    page = client.post(url, {"action": action, "_selected_action": ids})
    assert page.status_code == 200, page.content.decode()[:500]
    assert "Why (kept in the moderation log)" in page.content.decode()
    return client.post(
        url, {"action": action, "_selected_action": ids, "apply": "yes", "reason": reason}
    )


@pytest.fixture
def review_case(review, make_report):
    make_report(review, reason="spam")
    make_report(review, reason="spam")
    make_report(review, reason="abuse", details="Rude")
    return Case.objects.get(rating=review)


def test_queue_lists_open_items_with_counts_reasons_and_text(moderator_client, review_case):
    response = moderator_client.get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Moderation queue" in page
    assert "Review by ann on Interview (2007)" in page
    assert "Spam ×2, Abuse" in page
    assert "Neither of them tells the truth; &lt;b&gt;great&lt;/b&gt;." in page
    assert texts(page, "td", class_="field-reports") == ["3"]


def test_queue_filters_by_status_kind_and_reason(
    moderator_client, review_case, collection, make_report, moderator
):
    make_report(collection, reason="spoilers")
    from moderation.services import dismiss_case

    dismiss_case(Case.objects.get(collection=collection), moderator, "Fine")

    def labels(query):
        response = moderator_client.get(QUEUE + query)
        assert response.status_code == 200
        return [case.label for case in response.context["cl"].result_list]

    assert labels("") == ["Review by ann on Interview (2007)"]
    assert labels("?status=resolved") == ["Collection “Best interviews” by ann"]
    assert len(labels("?status=all")) == 2
    assert labels("?status=all&kind__exact=collection") == ["Collection “Best interviews” by ann"]
    assert labels("?status=all&reason=abuse") == ["Review by ann on Interview (2007)"]
    assert labels("?status=all&reason=spoilers") == ["Collection “Best interviews” by ann"]
    assert labels("?status=all&reason=other") == []


def test_hide_action_hides_the_review_resolves_and_records(
    moderator_client, moderator, review_case
):
    response = run_action(moderator_client, "hide_item", [review_case], "Spam link")
    assert response.status_code == 302
    rating = Rating.objects.get(pk=review_case.rating_id)
    assert rating.review_hidden
    review_case.refresh_from_db()
    assert review_case.status == CaseStatus.RESOLVED
    assert review_case.resolved_by == moderator
    assert review_case.resolution == Resolution.HIDDEN
    action = ModerationAction.objects.get()
    assert (action.actor, action.verb, action.reason) == (moderator, Verb.HIDE_REVIEW, "Spam link")
    assert action.rating == rating and action.subject == rating.user and action.case == review_case
    assert action.target_label == "Review by ann on Interview (2007)"
    # The score still counts.
    assert Rating.objects.filter(pk=rating.pk).exists()


def test_hide_without_a_reason_keeps_the_reports_reasons(moderator_client, review_case):
    run_action(moderator_client, "hide_item", [review_case])
    assert ModerationAction.objects.get().reason == "Reported for abuse, spam."


def test_resolved_report_shows_the_moderators_name(moderator_client, review_case):
    run_action(moderator_client, "hide_item", [review_case], "Spam")
    page = moderator_client.get(reverse("admin:moderation_report_changelist")).content.decode()
    assert page.count('<td class="field-status">Resolved by mod: Hidden') == 3


def test_hidden_review_is_gone_from_the_title_page(client, moderator_client, review_case, review):
    run_action(moderator_client, "hide_item", [review_case])
    client.logout()
    page = client.get(review.title.get_absolute_url()).content.decode()
    assert "Neither of them tells the truth" not in page
    assert "This review is hidden by a moderator." in page


def test_author_sees_their_review_was_hidden(client, moderator_client, review_case, author, review):
    run_action(moderator_client, "hide_item", [review_case])
    client.force_login(author)
    page = client.get(review.title.get_absolute_url()).content.decode()
    assert "A moderator has hidden this review from others" in page


def test_dismiss_leaves_the_review_and_records(moderator_client, moderator, review_case):
    response = run_action(moderator_client, "dismiss_reports", [review_case], "Not spam")
    assert response.status_code == 302
    review_case.refresh_from_db()
    assert (review_case.status, review_case.resolution) == (
        CaseStatus.RESOLVED,
        Resolution.DISMISSED,
    )
    assert not Rating.objects.get(pk=review_case.rating_id).review_hidden
    action = ModerationAction.objects.get()
    assert (action.verb, action.actor, action.reason) == (Verb.DISMISS, moderator, "Not spam")


def test_suspend_author_needs_a_reason_then_suspends(
    moderator_client, moderator, review_case, author
):
    page = moderator_client.post(
        QUEUE,
        {
            "action": "suspend_author",
            "_selected_action": [review_case.pk],
            "apply": "yes",
            "reason": "",
        },
    )
    assert page.status_code == 200
    assert "Say why" in page.content.decode()
    assert not is_suspended(author)

    response = run_action(moderator_client, "suspend_author", [review_case], "Repeated spam")
    assert response.status_code == 302
    assert is_suspended(author)
    review_case.refresh_from_db()
    assert review_case.resolution == Resolution.SUSPENDED
    action = ModerationAction.objects.get(verb=Verb.SUSPEND)
    assert (action.actor, action.subject, action.reason) == (moderator, author, "Repeated spam")


def test_moderator_cannot_suspend_a_staff_member(moderator_client, title, make_report):
    from ratings.services import rate

    staff = UserFactory(username="editor", is_staff=True)
    make_report(rate(staff, title, 30, review="Staff review"))
    case = Case.objects.get()
    response = run_action(
        moderator_client,
        "suspend_author",
        [case],
        "Trying",
    )
    assert response.status_code == 302
    assert not is_suspended(staff)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Only a superuser can suspend a staff member" in m for m in messages)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_hide_collection_then_restore(moderator_client, moderator, collection, make_report, client):
    make_report(collection, reason="abuse")
    case = Case.objects.get()
    run_action(moderator_client, "hide_item", [case], "Slurs")
    assert HiddenCollection.objects.filter(collection=collection).exists()
    response = run_action(
        moderator_client, "restore_item", [case], "Edited since", url=QUEUE + "?status=all"
    )
    assert response.status_code == 302
    assert not HiddenCollection.objects.filter(collection=collection).exists()
    case.refresh_from_db()
    assert case.resolution == Resolution.RESTORED
    verbs = list(
        ModerationAction.objects.order_by("created_at", "pk").values_list("verb", flat=True)
    )
    assert verbs == [Verb.HIDE_COLLECTION, Verb.UNHIDE_COLLECTION]


def test_actions_on_resolved_cases_do_nothing(moderator_client, review_case):
    run_action(moderator_client, "dismiss_reports", [review_case], "Fine")
    response = run_action(
        moderator_client, "hide_item", [review_case], "Changed my mind", url=QUEUE + "?status=all"
    )
    assert response.status_code == 302
    assert not Rating.objects.get(pk=review_case.rating_id).review_hidden
    assert ModerationAction.objects.count() == 1


def test_case_page_shows_reports_history_and_decision_buttons(moderator_client, review_case):
    url = reverse("admin:moderation_case_change", args=[review_case.pk])
    page = moderator_client.get(url).content.decode()
    assert "Rude" in page
    decide = select_one(page, "form", class_="moderation-decide-form")
    assert [button.get("value") for button in select(decide, "button", name="action")] == [
        "hide_item",
        "dismiss_reports",
        "suspend_author",
    ]
    run_action(moderator_client, "hide_item", [review_case], "Spam link")
    page = moderator_client.get(url).content.decode()
    assert "Spam link" in page
    assert "Hid a review" in page
    decide = select_one(page, "form", class_="moderation-decide-form")
    assert [button.get("value") for button in select(decide, "button", name="action")] == [
        "restore_item"
    ]


def test_action_log_lists_every_decision(moderator_client, review_case):
    run_action(moderator_client, "hide_item", [review_case], "Spam link")
    page = moderator_client.get(
        reverse("admin:moderation_moderationaction_changelist")
    ).content.decode()
    assert "Hid a review" in page and "Spam link" in page and "mod" in page


def test_rating_admin_hide_action_is_audited(moderator_client, moderator, review):
    url = reverse("admin:ratings_rating_changelist")
    response = moderator_client.post(
        url, {"action": "hide_reviews", "_selected_action": [review.pk]}
    )
    assert response.status_code == 302
    assert Rating.objects.get(pk=review.pk).review_hidden
    action = ModerationAction.objects.get()
    assert (action.verb, action.actor) == (Verb.HIDE_REVIEW, moderator)


def test_superuser_unhiding_on_the_rating_form_is_audited(admin_client, admin_user, review):
    from ratings.services import set_review_hidden

    set_review_hidden([review.pk], True)
    url = reverse("admin:ratings_rating_change", args=[review.pk])
    response = admin_client.post(
        url,
        {
            "score": 80,
            "review": review.review,
            "rated_at_0": "2024-01-01",
            "rated_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Rating.objects.get(pk=review.pk).review_hidden
    action = ModerationAction.objects.get()
    assert (action.verb, action.actor) == (Verb.UNHIDE_REVIEW, admin_user)

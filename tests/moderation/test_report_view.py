"""The members' report form: who may report what, once, within the hourly limit."""

import pytest
from django.urls import reverse

from moderation.models import Case, CaseStatus, Report
from moderation.services import dismiss_case
from tests.factories import CollectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def report_url(kind: str, pk: int) -> str:
    return reverse("moderation:report", args=[kind, pk])


def test_anonymous_visitor_is_sent_to_sign_in(client, review):
    url = report_url("review", review.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]
    response = client.post(url, {"reason": "spam"})
    assert response.status_code == 302
    assert not Report.objects.exists()


def test_form_shows_the_reported_review(member_client, review):
    response = member_client.get(report_url("review", review.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Report this review" in page
    assert "Review by ann on Interview (2007)" in page
    # The review is shown escaped, as everywhere.
    assert "&lt;b&gt;great&lt;/b&gt;" in page
    for label in (
        "Spam or advertising",
        "Abuse or harassment",
        "Unmarked spoilers",
        "Something else",
    ):
        assert label in page


def test_member_reports_a_review_and_is_thanked(member_client, member, review):
    response = member_client.post(
        report_url("review", review.pk), {"reason": "spoilers", "details": "Ending given away"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{review.title.get_absolute_url()}#title-reviews"
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.details) == (
        member,
        "spoilers",
        "Ending given away",
    )
    case = report.case
    assert case.status == CaseStatus.OPEN
    assert case.rating_id == review.pk
    assert case.author == review.user
    assert case.label == "Review by ann on Interview (2007)"
    page = member_client.get(response["Location"]).content.decode()
    assert "Your report about this review was sent to the moderators" in page


def test_second_report_by_the_same_member_is_not_filed_twice(member_client, review):
    url = report_url("review", review.pk)
    member_client.post(url, {"reason": "spam"})
    response = member_client.post(url, {"reason": "abuse"}, follow=True)
    assert Report.objects.count() == 1
    assert "You have already reported this" in response.content.decode()


def test_reports_from_several_members_gather_in_one_case(client, review):
    for _ in range(3):
        client.force_login(UserFactory())
        client.post(report_url("review", review.pk), {"reason": "spam"})
    assert Case.objects.count() == 1
    assert Case.objects.get().reports.count() == 3


def test_after_a_decision_the_same_member_may_report_again(member_client, moderator, review):
    url = report_url("review", review.pk)
    member_client.post(url, {"reason": "spam"})
    dismiss_case(Case.objects.get(), moderator, "Not spam.")
    response = member_client.post(url, {"reason": "spam", "details": "It is back"})
    assert response.status_code == 302
    assert Case.objects.count() == 2
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 1


def test_own_review_cannot_be_reported(client, author, review):
    client.force_login(author)
    response = client.post(report_url("review", review.pk), {"reason": "spam"})
    assert response.status_code == 400
    assert "This is your own" in response.content.decode()
    assert not Report.objects.exists()


def test_something_else_needs_details(member_client, review):
    response = member_client.post(report_url("review", review.pk), {"reason": "other"})
    assert response.status_code == 400
    assert "Say briefly what is wrong" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Choose a reason."),
        ({"reason": "nonsense"}, "Select a valid choice."),
        ({"reason": "spam", "details": "x" * 1001}, "Details can be at most 1,000 characters"),
    ],
)
def test_bad_input_is_a_clear_400_and_keeps_what_was_typed(member_client, review, data, message):
    response = member_client.post(report_url("review", review.pk), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if "details" in data:
        assert data["details"][:50] in page
    assert not Report.objects.exists()


def test_reports_are_rate_limited_per_hour(member_client, settings, title):
    settings.MODERATION_REPORTS_PER_HOUR = 2
    from ratings.services import rate

    reviews = [rate(UserFactory(), title, 50, review=f"Review {n}") for n in range(3)]
    for rating in reviews[:2]:
        assert (
            member_client.post(report_url("review", rating.pk), {"reason": "spam"}).status_code
            == 302
        )
    response = member_client.post(
        report_url("review", reviews[2].pk), {"reason": "abuse", "details": "Keep me"}
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "You have sent 2 reports in the last hour, the most allowed" in page
    assert "Keep me" in page
    assert Report.objects.count() == 2


def test_unknown_kind_or_missing_item_is_404(member_client, review):
    assert member_client.get(report_url("song", review.pk)).status_code == 404
    assert member_client.get(report_url("review", review.pk + 1000)).status_code == 404


def test_hidden_review_or_score_only_rating_cannot_be_reported(member_client, review, title):
    from ratings.services import rate, set_review_hidden

    set_review_hidden([review.pk], True)
    assert member_client.get(report_url("review", review.pk)).status_code == 404
    score_only = rate(UserFactory(), title, 40)
    assert member_client.get(report_url("review", score_only.pk)).status_code == 404


def test_collection_can_be_reported_but_not_a_private_one(member_client, collection, author):
    response = member_client.post(report_url("collection", collection.pk), {"reason": "abuse"})
    assert response.status_code == 302
    assert response["Location"] == collection.get_absolute_url()
    case = Case.objects.get()
    assert case.label == "Collection “Best interviews” by ann"
    private = CollectionFactory(owner=author, is_public=False)
    assert member_client.get(report_url("collection", private.pk)).status_code == 404


def test_profile_can_be_reported(member_client, author):
    author.bio = "Buy cheap pills at example.com"
    author.save()
    response = member_client.post(report_url("profile", author.pk), {"reason": "spam"})
    assert response.status_code == 302
    assert response["Location"] == author.get_absolute_url()
    case = Case.objects.get()
    assert (case.kind, case.profile, case.author) == ("profile", author, author)
    assert "Buy cheap pills" in case.text

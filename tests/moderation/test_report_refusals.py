"""Report refusals are ValidationErrors with a code (one refusal type across services)."""

import pytest
from django.core.exceptions import ValidationError

from moderation import services
from moderation.selectors import target_for

pytestmark = pytest.mark.django_db


def _refusal(reporter, obj, reason="spam") -> ValidationError:
    with pytest.raises(ValidationError) as refusal:
        services.report(reporter, target_for(obj), reason)
    return refusal.value


def test_refusals_carry_codes_and_the_members_message(author, member, review, settings):
    assert _refusal(member, review, reason="nonsense").code == "bad_reason"
    own = _refusal(author, review)
    assert own.code == "own_content"
    assert own.messages == ["This is your own; you cannot report it."]
    services.report(member, target_for(review), "spam")
    again = _refusal(member, review)
    assert isinstance(again, services.AlreadyReported)
    assert again.code == "already_reported"


def test_too_many_reports_has_its_code(member, review, collection, settings):
    settings.MODERATION_REPORTS_PER_HOUR = 1
    services.report(member, target_for(review), "spam")
    refusal = _refusal(member, collection)
    assert isinstance(refusal, services.TooManyReports)
    assert refusal.code == "too_many_reports"


def test_suspended_members_cannot_report(author, member, review, moderator):
    services.suspend(member, moderator, "Spam")
    assert _refusal(member, review).code == "suspended"

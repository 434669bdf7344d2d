"""User.visibility: who may see a member's profile, ratings and diary."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS, MEMBER, OWNER, STAFF = "anonymous", "member", "owner", "staff"
EXPECTED = {
    "public": {ANONYMOUS: True, MEMBER: True, OWNER: True, STAFF: True},
    "members": {ANONYMOUS: False, MEMBER: True, OWNER: True, STAFF: True},
    "private": {ANONYMOUS: False, MEMBER: False, OWNER: True, STAFF: True},
}


def test_visibility_values_are_the_contract():
    assert {value for value, _ in User.Visibility.choices} == set(EXPECTED)
    assert UserFactory().visibility == "public"


@pytest.mark.parametrize("visibility", sorted(EXPECTED))
def test_who_sees_a_member_under_each_setting(visibility):
    owner = UserFactory(visibility=visibility)
    viewers = {
        ANONYMOUS: AnonymousUser(),
        MEMBER: UserFactory(),
        OWNER: owner,
        STAFF: UserFactory(is_staff=True),
    }
    seen = {name: owner.is_visible_to(viewer) for name, viewer in viewers.items()}
    assert seen == EXPECTED[visibility]

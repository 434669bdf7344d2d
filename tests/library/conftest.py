import pytest

from tests.factories import UserFactory


@pytest.fixture
def member(client):
    """A signed-in member (maud)."""
    user = UserFactory(username="maud")
    client.force_login(user)
    return user

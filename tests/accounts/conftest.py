import pytest
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def member(client):
    """A signed-in member (maud)."""
    user = UserFactory(username="maud")
    client.force_login(user)
    return user


@pytest.fixture
def upload(client, tmp_path):
    """upload(name, content, plain_scale="100", follow=False) posts a file written to
    disk (text or bytes) to the import form; returns the response."""

    def post(name, content, plain_scale="100", follow=False):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        with path.open("rb") as handle:
            return client.post(
                reverse("accounts:import"),
                {"file": handle, "plain_scale": plain_scale},
                follow=follow,
            )

    return post

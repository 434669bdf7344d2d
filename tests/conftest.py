import pytest
from django.core.cache import cache

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _test_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories set real passwords; the production hasher is slow on purpose and
    # would dominate suites that create dozens of members. Checks still hash and verify.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client(client, db):
    """The test client signed in as a superuser (staff) named "moderator"."""
    client.force_login(UserFactory(username="moderator", is_staff=True, is_superuser=True))
    return client


@pytest.fixture(autouse=True)
def _empty_cache():
    # The cache (local memory in the tests) outlives each test's rolled-back transaction.
    cache.clear()

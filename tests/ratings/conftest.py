import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories set real passwords; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

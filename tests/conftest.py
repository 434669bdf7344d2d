import pytest


@pytest.fixture(autouse=True)
def _test_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

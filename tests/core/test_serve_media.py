"""Uploaded files are served by the site; a name the file system refuses is a 404."""

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "posters").mkdir()
    (tmp_path / "posters" / "a.txt").write_bytes(b"poster bytes")
    return tmp_path


def test_an_uploaded_file_is_served(client, media_root):
    response = client.get("/media/posters/a.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"poster bytes"


@pytest.mark.parametrize("name", ["x" * 3000, "posters/" + "y" * 300, "missing.png"])
def test_a_name_too_long_or_missing_is_a_404(client, media_root, name):
    assert client.get(f"/media/{name}").status_code == 404

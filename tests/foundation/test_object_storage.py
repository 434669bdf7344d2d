"""Uploads on S3-compatible object storage (django-storages), against a real S3 API
server started on 127.0.0.1 (moto's server mode)."""

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import UserFactory, image_bytes
from tests.html import select
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "movie-media"
KEYS = {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint(request):
    """A moto S3 server on a free port of 127.0.0.1 with the bucket created."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed (dev extras)")
    boto3 = pytest.importorskip("boto3", reason="boto3 is not installed")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    request.addfinalizer(lambda: (server.terminate(), server.wait(timeout=30)))
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    return endpoint, client


def _configured(variables: dict) -> dict:
    """STORAGES and the CSP as config/settings.py builds them from these variables."""
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'storages': settings.STORAGES, "
        "'img_src': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']}, default=str))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **variables}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_disk_is_the_default():
    configured = _configured({"AWS_STORAGE_BUCKET_NAME": ""})
    assert configured["storages"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert configured["img_src"] == ["'self'", "data:"]


@pytest.mark.django_db
def test_an_avatar_is_stored_in_the_bucket_and_served_from_the_url_the_site_shows(
    s3_endpoint, client, settings
):
    endpoint, s3 = s3_endpoint
    configured = _configured(
        {"AWS_STORAGE_BUCKET_NAME": BUCKET, "AWS_S3_ENDPOINT_URL": endpoint, **KEYS}
    )
    assert configured["storages"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert configured["img_src"] == ["'self'", "data:", endpoint]
    settings.STORAGES = {**settings.STORAGES, "default": configured["storages"]["default"]}
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "img-src": configured["img_src"],
        }
    }

    member = UserFactory(username="maud")
    client.force_login(member)
    upload = SimpleUploadedFile(
        "me.png", image_bytes("PNG", size=(600, 300), color=(20, 140, 60)), "image/png"
    )
    form = {"display_name": "Maud", "bio": "", "rating_scale": "100", "avatar": upload}
    assert client.post(reverse("accounts:settings"), form).status_code == 302
    member.refresh_from_db()

    # In the bucket, not on local disk.
    stored = s3.get_object(Bucket=BUCKET, Key=member.avatar.name)["Body"].read()
    assert not (Path(settings.MEDIA_ROOT) / member.avatar.name).exists()

    # The profile page links the picture on the storage server, and the CSP allows it.
    page = client.get("/u/maud/")
    assert endpoint in page["Content-Security-Policy"]
    sources = {image.get("src") for image in select(page.content.decode(), "img", class_="avatar")}
    assert len(sources) == 1
    source = sources.pop()
    assert source.startswith(f"{endpoint}/{BUCKET}/avatars/")
    with urllib.request.urlopen(source, timeout=10) as response:
        served = response.read()
    assert served == stored
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "WEBP" and image.size == (400, 400)
        assert image.convert("RGB").getpixel((200, 200)) == pytest.approx((20, 140, 60), abs=8)

import io
import os
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from tests.factories import image_bytes
from tests.html import select_one

pytestmark = pytest.mark.django_db


# An avatar-shaped (wide) image, so that the square crop is visible.
_image = partial(image_bytes, size=(600, 300), color=(200, 40, 30))


def _form(**overrides):
    data = {
        "display_name": "Maud L.",
        "bio": "Slow cinema.",
        "rating_scale": "10",
        "prefers_compact": "",
    }
    data.update(overrides)
    return data


def test_settings_need_sign_in(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302


def test_settings_page_explains_the_scale_mapping(client, member):
    content = client.get(reverse("accounts:settings")).content.decode()
    assert "3.5 stars is stored as 70" in content
    assert "73 → 3.5★" in content
    checked = select_one(content, "input", type="radio", name="rating_scale", checked=True)
    assert (checked.get("value"), checked.get("id")) == ("100", "scale-100")


def test_saving_settings_changes_name_bio_scale_and_compact_view(client, member):
    response = client.post(reverse("accounts:settings"), _form(prefers_compact="on"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.bio, member.rating_scale, member.prefers_compact) == (
        "Maud L.",
        "Slow cinema.",
        "10",
        True,
    )


def test_unknown_scale_is_a_form_error_and_nothing_changes(client, member):
    response = client.post(reverse("accounts:settings"), _form(rating_scale="7"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    member.refresh_from_db()
    assert member.rating_scale == "100" and member.display_name == ""


def test_too_long_bio_is_refused(client, member):
    response = client.post(reverse("accounts:settings"), _form(bio="x" * 501))
    assert response.status_code == 400
    assert "at most 500 characters" in response.content.decode()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_avatar_is_cropped_square_and_stored_as_webp(client, member, fmt):
    upload = SimpleUploadedFile(f"me.{fmt.lower()}", _image(fmt), content_type="image/png")
    response = client.post(reverse("accounts:settings"), _form(avatar=upload))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.avatar.name.startswith("avatars/") and member.avatar.name.endswith(".webp")
    with Image.open(member.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (400, 400)


def test_avatar_is_turned_upright_from_exif_orientation(client, member):
    # Orientation 6: the camera was turned; the 600x300 picture shows as 300x600.
    tall = Image.new("RGB", (600, 300), (255, 255, 255))
    tall.paste((0, 0, 0), (0, 0, 300, 300))  # black on the left half as stored
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    tall.save(out, "JPEG", exif=exif)
    upload = SimpleUploadedFile("phone.jpg", out.getvalue(), content_type="image/jpeg")
    client.post(reverse("accounts:settings"), _form(avatar=upload))
    member.refresh_from_db()
    with Image.open(member.avatar.path) as stored:
        stored = stored.convert("RGB")
        # Rotated upright, the black half is on top; the centre crop keeps both halves.
        assert sum(stored.getpixel((200, 20))) < 100
        assert sum(stored.getpixel((200, 380))) > 600


def test_new_avatar_replaces_and_deletes_the_old_file(
    client, member, django_capture_on_commit_callbacks
):
    first = SimpleUploadedFile("a.png", _image(), content_type="image/png")
    client.post(reverse("accounts:settings"), _form(avatar=first))
    member.refresh_from_db()
    old_path = member.avatar.path
    second = SimpleUploadedFile("b.png", _image(color=(0, 0, 255)), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:settings"), _form(avatar=second))
    member.refresh_from_db()
    assert member.avatar.path != old_path
    assert not os.path.exists(old_path)


def test_avatar_can_be_removed(client, member, django_capture_on_commit_callbacks):
    response = client.post(
        reverse("accounts:settings"),
        _form(avatar=SimpleUploadedFile("a.png", _image(), content_type="image/png")),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.avatar
    path = member.avatar.path
    assert os.path.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:settings"), _form(remove_avatar="on"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.avatar.name == ""
    assert not os.path.exists(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("me.gif", None, "GIF images are not accepted"),
        ("me.png", b"this is not an image at all", "not an image we can read"),
        ("me.png", b"", "The submitted file is empty"),
    ],
)
def test_bad_avatars_are_refused_and_nothing_changes(client, member, name, content, message):
    if content is None:
        out = io.BytesIO()
        Image.new("RGB", (50, 50)).save(out, "GIF")
        content = out.getvalue()
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = client.post(reverse("accounts:settings"), _form(avatar=upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    member.refresh_from_db()
    assert not member.avatar and member.display_name == ""


def test_oversized_avatar_is_refused(client, member, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    upload = SimpleUploadedFile("me.png", _image(size=(800, 800)) + b"\0" * 2000)
    response = client.post(reverse("accounts:settings"), _form(avatar=upload))
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()


def test_decompression_bomb_is_refused(client, member):
    # A small PNG that claims 20000 x 20000 pixels (400 megapixels).
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    upload = SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")
    response = client.post(reverse("accounts:settings"), _form(avatar=upload))
    assert response.status_code == 400
    assert "too many" in response.content.decode()
    assert not User.objects.get(pk=member.pk).avatar

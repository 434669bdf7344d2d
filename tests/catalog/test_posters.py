import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import Title
from catalog.services import draw_poster, remove_poster, save_poster, validate_poster
from tests.factories import TitleFactory, image_bytes

pytestmark = pytest.mark.django_db


def _upload(data: bytes, name: str = "poster.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted(fmt):
    upload = _upload(image_bytes(fmt))
    assert validate_poster(upload) is None
    # Accepted means stored: as a JPEG of the same size and colour.
    title = save_poster(TitleFactory(), upload)
    with Image.open(Title.objects.get(pk=title.pk).poster.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (300, 450))
        red, green, blue = stored.convert("RGB").getpixel((150, 225))
        assert abs(red - 200) <= 4 and abs(green - 30) <= 4 and abs(blue - 30) <= 4


def test_other_formats_are_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match="GIF images are not accepted"):
        validate_poster(_upload(image_bytes("GIF"), "poster.gif"))


def test_a_file_that_is_not_an_image_is_refused():
    with pytest.raises(ValidationError, match="not an image we can read"):
        validate_poster(_upload(b"%PDF-1.4 not an image", "poster.jpg"))


def test_files_over_the_upload_limit_are_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="the limit is"):
        validate_poster(_upload(image_bytes("PNG", size=(600, 900)) + b"\0" * 2000))


def test_decompression_bombs_are_refused_before_decoding():
    # 12,000 x 12,000 pixels of one colour: tiny as a file, 432 MB when decoded.
    bomb = image_bytes("PNG", size=(12_000, 12_000), color=(0, 0, 0))
    assert len(bomb) < 2_000_000
    with pytest.raises(ValidationError, match="too large to decode|million pixels"):
        validate_poster(_upload(bomb, "bomb.png"))


def test_save_poster_applies_exif_orientation_and_stores_renditions():
    title = TitleFactory(name="Interview")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    landscape = image_bytes("JPEG", size=(900, 600), exif=exif.tobytes())
    save_poster(title, _upload(landscape))
    title = Title.objects.get(pk=title.pk)
    with Image.open(title.poster.path) as original:
        assert original.size == (600, 900)
        assert original.getexif().get(0x0112) is None
    with Image.open(title.poster_list.path) as list_image:
        assert list_image.size == (200, 300)
    with Image.open(title.poster_page.path) as page_image:
        assert page_image.size == (400, 600)


def test_save_poster_replaces_old_files_and_remove_poster_deletes_them():
    title = TitleFactory(name="Interview")
    save_poster(title, _upload(image_bytes("PNG")))
    old_path = Title.objects.get(pk=title.pk).poster_page.path
    save_poster(title, _upload(image_bytes("WEBP", color=(10, 200, 10))))
    title = Title.objects.get(pk=title.pk)
    assert title.poster_page.path != old_path
    assert not os.path.exists(old_path)
    new_path = title.poster_page.path
    remove_poster(title)
    assert not os.path.exists(new_path)
    assert not Title.objects.get(pk=title.pk).poster


def test_save_poster_refuses_bad_files_and_keeps_the_old_poster():
    title = TitleFactory(name="Interview")
    save_poster(title, _upload(image_bytes("PNG")))
    before = Title.objects.get(pk=title.pk).poster.name
    with pytest.raises(ValidationError):
        save_poster(title, _upload(b"garbage"))
    assert Title.objects.get(pk=title.pk).poster.name == before


def test_draw_poster_is_a_deterministic_2_by_3_png():
    title = TitleFactory(name="The Extraordinarily Long Title of a Film Nobody Saw", year=1999)
    first, second = draw_poster(title), draw_poster(title)
    assert first == second
    with Image.open(io.BytesIO(first)) as image:
        assert image.format == "PNG" and image.size == (400, 600)
    assert draw_poster(TitleFactory(name="Other", year=2001)) != first


def test_drawn_poster_can_be_saved_as_the_demo_seeder_does():
    title = TitleFactory(name="Amélie", year=2001)
    save_poster(title, ContentFile(draw_poster(title), name="amelie.png"))
    assert Title.objects.get(pk=title.pk).poster_list


def test_pages_without_a_poster_show_a_generated_placeholder(client):
    title = TitleFactory(name="Interview", year=2007)
    content = client.get(title.get_absolute_url()).content.decode()
    assert "poster-placeholder" in content and "No poster for Interview" in content
    listing = client.get(reverse("catalog:title-list")).content.decode()
    assert "poster-placeholder-name" in listing


def test_pages_with_a_poster_use_the_renditions(client):
    title = TitleFactory(name="Interview", year=2007)
    save_poster(title, _upload(image_bytes("JPEG")))
    title = Title.objects.get(pk=title.pk)
    assert title.poster_page.url in client.get(title.get_absolute_url()).content.decode()
    assert title.poster_list.url in client.get(reverse("catalog:title-list")).content.decode()


def _admin_post_data(title: Title, poster) -> dict:
    return {
        "kind": title.kind,
        "name": title.name,
        "original_name": "",
        "slug": title.slug,
        "year": title.year,
        "runtime_minutes": title.runtime_minutes,
        "synopsis": title.synopsis,
        "imdb_id": "",
        "trailer_url": "",
        "poster": poster,
        "credits-TOTAL_FORMS": 0,
        "credits-INITIAL_FORMS": 0,
        "watch_links-TOTAL_FORMS": 0,
        "watch_links-INITIAL_FORMS": 0,
    }


def test_admin_upload_stores_poster_and_renditions(staff_client):
    title = TitleFactory(name="Interview", year=2007)
    url = reverse("admin:catalog_title_change", args=[title.pk])
    response = staff_client.post(url, _admin_post_data(title, _upload(image_bytes("PNG"), "p.png")))
    assert response.status_code == 302, response.content.decode()[:2000]
    title = Title.objects.get(pk=title.pk)
    assert title.poster.name.endswith(".jpg")
    assert title.poster_list and title.poster_page


def test_admin_refuses_a_bad_poster_with_a_message_and_saves_nothing(staff_client):
    title = TitleFactory(name="Interview", year=2007)
    url = reverse("admin:catalog_title_change", args=[title.pk])
    data = _admin_post_data(title, _upload(image_bytes("GIF"), "p.gif"))
    data["name"] = "Renamed"
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    title.refresh_from_db()
    assert title.name == "Interview" and not title.poster

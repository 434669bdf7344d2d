"""Writes for the catalog: posters, viewer preferences and search statistics."""

import hashlib
import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import connections, transaction
from PIL import Image, ImageDraw, ImageFont, ImageOps

from catalog.images import open_checked_image
from catalog.models import Title, TitleTrigram, TrigramFrequency
from core.posters import POSTER_HUES, poster_hue

# Renditions are cropped to the 2:3 poster shape.
LIST_SIZE = (200, 300)
PAGE_SIZE = (400, 600)
ORIGINAL_MAX = (1200, 1800)
DRAWN_SIZE = (400, 600)


def validate_poster(uploaded_file) -> None:
    """Refuse files that are too large, not JPEG/PNG/WebP, or decompression bombs
    (ValidationError with a message for the person who uploaded it)."""
    open_checked_image(uploaded_file).close()


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=86, optimize=True, progressive=True)
    return buffer.getvalue()


def _delete_poster_files(title: Title) -> None:
    for field in (title.poster, title.poster_list, title.poster_page):
        if field:
            field.delete(save=False)


@transaction.atomic
def save_poster(title: Title, uploaded_file) -> Title:
    """Validate an uploaded poster and store it with its list and page renditions.

    EXIF orientation is applied (and the metadata dropped), the image is stored as
    JPEG at most 1200x1800, plus 200x300 and 400x600 renditions cropped to 2:3.
    Replaces the title's previous poster files.
    """
    with open_checked_image(uploaded_file) as image:
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image = image.convert("RGB")
    original = image.copy()
    original.thumbnail(ORIGINAL_MAX, Image.Resampling.LANCZOS)
    list_image = ImageOps.fit(image, LIST_SIZE, Image.Resampling.LANCZOS)
    page_image = ImageOps.fit(image, PAGE_SIZE, Image.Resampling.LANCZOS)

    page_jpeg = _encode_jpeg(page_image)
    digest = hashlib.sha256(page_jpeg).hexdigest()[:10]
    stem = f"{title.pk}-{(title.slug or 'title')[:60]}-{digest}"
    _delete_poster_files(title)
    title.poster.save(f"{stem}.jpg", ContentFile(_encode_jpeg(original)), save=False)
    title.poster_list.save(f"{stem}.jpg", ContentFile(_encode_jpeg(list_image)), save=False)
    title.poster_page.save(f"{stem}.jpg", ContentFile(page_jpeg), save=False)
    Title.objects.filter(pk=title.pk).update(
        poster=title.poster.name,
        poster_list=title.poster_list.name,
        poster_page=title.poster_page.name,
    )
    return title


@transaction.atomic
def remove_poster(title: Title) -> Title:
    """Delete a title's poster and renditions; pages fall back to the drawn placeholder."""
    _delete_poster_files(title)
    title.poster = title.poster_list = title.poster_page = ""
    Title.objects.filter(pk=title.pk).update(poster="", poster_list="", poster_page="")
    return title


def _font(size: int, bold: bool = True) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    names = ["DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf"] if bold else ["DejaVuSans.ttf"]
    for folder in ("/usr/share/fonts/truetype/dejavu",):
        for name in names:
            path = Path(folder) / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def draw_poster(title: Title) -> bytes:
    """A generated 400x600 PNG poster: a gradient in the title's colour, name and year in
    large type. The same title always gives the same bytes."""
    width, height = DRAWN_SIZE
    red, green, blue = POSTER_HUES[poster_hue(title)]
    image = Image.new("RGB", DRAWN_SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = 1.0 - 0.55 * (y / height)
        draw.line(
            [(0, y), (width, y)], fill=(int(red * shade), int(green * shade), int(blue * shade))
        )
    # A soft circle motif, like a projector's beam.
    light = (min(255, red + 60), min(255, green + 60), min(255, blue + 60))
    draw.ellipse([width - 260, -120, width + 140, 280], outline=light, width=3)
    draw.ellipse([width - 200, -60, width + 80, 220], outline=light, width=2)

    margin = 32
    name = title.name or "Untitled"
    size = 64
    while True:
        font = _font(size)
        lines = _wrap(draw, name, font, width - 2 * margin)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if (len(lines) <= 5 and widest <= width - 2 * margin) or size <= 22:
            break
        size -= 4
    line_height = int(size * 1.15)
    y = height - margin - 60 - line_height * len(lines)
    for line in lines:
        draw.text((margin, y), line, font=font, fill=(255, 255, 255))
        y += line_height
    draw.line(
        [(margin, height - margin - 48), (margin + 64, height - margin - 48)], fill=light, width=4
    )
    if title.year:
        draw.text(
            (margin, height - margin - 34),
            str(title.year),
            font=_font(28, bold=False),
            fill=(235, 235, 235),
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def set_compact_view(request, compact: bool) -> None:
    """Remember the "Compact view" choice: on the account when signed in, else in the session."""
    user = request.user
    if user.is_authenticated:
        if user.prefers_compact != compact:
            user.prefers_compact = compact
            user.save(update_fields=["prefers_compact"])
    else:
        request.session["prefers_compact"] = compact


def draw_missing_posters(title_ids: list[int]) -> int:
    """Draw and store a poster (with its renditions) for each of these titles that still
    has none; returns how many were drawn. Idempotent: a title that got a poster
    meanwhile (drawn by an earlier run, or uploaded) is left alone."""
    drawn = 0
    for title in Title.objects.filter(pk__in=title_ids, poster="").order_by("pk"):
        save_poster(title, ContentFile(draw_poster(title), name=f"{title.slug}.png"))
        drawn += 1
    return drawn


# Search statistics ----------------------------------------------------------------------

TRIGRAM_FREQUENCIES = TrigramFrequency._meta.db_table
# Rebuilt whole in one transaction (readers keep the old rows until it commits): one
# grouped index-only scan of the trigram table, about 0.1 s at 20,000 titles.
REFRESH_TRIGRAM_FREQUENCIES_SQL = (
    f"DELETE FROM {TRIGRAM_FREQUENCIES};"
    f" INSERT INTO {TRIGRAM_FREQUENCIES} (trigram, titles)"
    f" SELECT trigram, count(*) FROM {TitleTrigram._meta.db_table} GROUP BY trigram"
)


def refresh_trigram_frequencies(using: str = "default") -> int:
    """Count again how many titles have each trigram (typo search probes the rarest of a
    query's trigrams first). Run by every IMDb import and hourly by the worker
    (settings.WORKER_HOURLY_JOBS); between runs new trigrams count as rare, which only
    makes their searches read a little more. Returns the number of distinct trigrams."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(REFRESH_TRIGRAM_FREQUENCIES_SQL)
        return cursor.rowcount

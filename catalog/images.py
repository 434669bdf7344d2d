"""Checks every uploaded picture goes through (posters, avatars).

Uploads are limited by settings.MAX_UPLOAD_BYTES, must be JPEG, PNG or WebP, and may
not decode to more pixels than the caller allows, which refuses decompression bombs
from the header alone, before any pixel is decoded.
"""

import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# Far above any real poster or photo, far below what would exhaust memory when decoded.
MAX_PIXELS = 40_000_000


def open_checked_image(upload, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The uploaded image, decoded and turned upright from its EXIF orientation.

    Raises ValidationError with a message for the person who uploaded it.
    """
    limit = settings.MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > limit:
        raise ValidationError(
            f"The image is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.",
            code="too_large",
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    f"{image.format or 'This'} images are not accepted. "
                    "Upload a JPEG, PNG or WebP.",
                    code="format",
                )
            if image.width * image.height > max_pixels:
                raise ValidationError(
                    f"The image is {image.width} x {image.height} pixels, too many to process: "
                    f"at most {max_pixels // 1_000_000} million pixels.",
                    code="too_many_pixels",
                )
            image.load()
            return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            "The image is too large to decode safely: it has too many pixels.",
            code="too_many_pixels",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "The file is not an image we can read. Upload a JPEG, PNG or WebP.", code="invalid"
        ) from exc
    finally:
        upload.seek(0)

"""The drawn placeholder of a title without a poster: one of twelve hues per title."""

import hashlib
from dataclasses import dataclass

# Twelve hues, matching the .poster-hue-N placeholder classes in catalog.css.
POSTER_HUES = [
    (122, 36, 28),
    (140, 74, 22),
    (120, 98, 24),
    (56, 96, 44),
    (28, 98, 78),
    (26, 84, 112),
    (34, 60, 122),
    (66, 44, 120),
    (98, 36, 112),
    (124, 32, 78),
    (74, 66, 60),
    (40, 70, 62),
]


def poster_hue(title) -> int:
    """A stable index 0-11 derived from the title's name and year (any object with both)."""
    key = f"{title.name}|{title.year or ''}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % len(POSTER_HUES)


@dataclass(frozen=True)
class PosterSize:
    """How includes/_poster.html draws a title's poster at one place on the site."""

    width: int
    height: int
    rendition: str  # the Title image field tried before the uploaded original
    name_chars: int  # the placeholder's name is cut to this many characters
    show_year: bool = False  # the placeholder shows the year under the name
    labelled: bool = False  # the poster is announced ("Poster of ..."), not decorative
    image_class: str = ""
    placeholder_class: str = ""
    lazy: bool = True


POSTER_SIZES = {
    # The title page's large poster.
    "page": PosterSize(
        400,
        600,
        "poster_page",
        name_chars=200,
        show_year=True,
        labelled=True,
        image_class="title-poster-image",
        placeholder_class="poster-placeholder-large",
        lazy=False,
    ),
    # A card in a grid of titles (includes/_title_card.html).
    "card": PosterSize(200, 300, "poster_list", name_chars=48, show_year=True),
    # A row of a collection's list.
    "item": PosterSize(80, 120, "poster_list", name_chars=30),
    # One of the four posters of a collection's card.
    "mosaic": PosterSize(
        100, 150, "poster_list", name_chars=40, placeholder_class="mosaic-placeholder"
    ),
}


def poster_image(title, size: str):
    """The image file to show for a title at a size (its rendition, else the uploaded
    original), or None when the title has no poster."""
    rendition = getattr(title, POSTER_SIZES[size].rendition)
    return rendition or title.poster or None

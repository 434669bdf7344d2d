from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from core.posters import POSTER_HUES, poster_hue


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def _render(title, size) -> _Elements:
    parser = _Elements()
    parser.feed(render_to_string("includes/_poster.html", {"title": title, "size": size}))
    return parser


def _title(name="Cool Hand Luke", year=1967, **files):
    images = {"poster": None, "poster_list": None, "poster_page": None}
    images.update({key: SimpleNamespace(url=url) for key, url in files.items()})
    return SimpleNamespace(name=name, year=year, **images)


@pytest.mark.parametrize(
    ("size", "rendition", "width", "height"),
    [
        ("page", "poster_page", "400", "600"),
        ("card", "poster_list", "200", "300"),
        ("item", "poster_list", "80", "120"),
        ("mosaic", "poster_list", "100", "150"),
    ],
)
def test_each_size_shows_its_rendition_at_its_size(size, rendition, width, height):
    title = _title(poster="/media/original.jpg", **{rendition: "/media/rendition.jpg"})
    [(tag, attrs)] = _render(title, size).elements
    assert tag == "img"
    assert attrs["src"] == "/media/rendition.jpg"
    assert (attrs["width"], attrs["height"]) == (width, height)


def test_the_original_is_shown_when_there_is_no_rendition():
    [(_tag, attrs)] = _render(_title(poster="/media/original.jpg"), "card").elements
    assert attrs["src"] == "/media/original.jpg"


def test_the_page_poster_is_announced_and_not_lazy():
    [(_tag, attrs)] = _render(_title(poster_page="/media/p.jpg"), "page").elements
    assert attrs["alt"] == "Poster of Cool Hand Luke"
    assert attrs["class"] == "title-poster-image"
    assert "loading" not in attrs


def test_list_posters_are_decorative_and_lazy():
    [(_tag, attrs)] = _render(_title(poster_list="/media/l.jpg"), "card").elements
    assert attrs["alt"] == ""
    assert attrs["loading"] == "lazy"


def test_page_placeholder_is_labelled_with_name_and_year():
    rendered = _render(_title(), "page")
    tag, attrs = rendered.elements[0]
    assert tag == "span"
    classes = attrs["class"].split()
    assert "poster-placeholder-large" in classes
    assert f"poster-hue-{poster_hue(_title())}" in classes
    assert attrs["role"] == "img" and attrs["aria-label"] == "No poster for Cool Hand Luke"
    assert rendered.text == ["Cool Hand Luke", "1967"]


def test_item_placeholder_cuts_the_name_and_hides_the_year():
    rendered = _render(_title(name="A" * 40), "item")
    _tag, attrs = rendered.elements[0]
    assert attrs["aria-hidden"] == "true"
    assert rendered.text == ["A" * 29 + "…"]


def test_mosaic_placeholder_has_its_class():
    _tag, attrs = _render(_title(), "mosaic").elements[0]
    assert "mosaic-placeholder" in attrs["class"].split()


def test_poster_hue_is_stable_and_in_range():
    hues = {poster_hue(_title(name=f"T{n}", year=2000)) for n in range(200)}
    assert hues == set(range(len(POSTER_HUES)))
    assert poster_hue(_title()) == poster_hue(_title())

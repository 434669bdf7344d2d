from datetime import UTC, datetime

import pytest
from django.urls import reverse

from catalog.selectors import trailer_embed_url
from ratings.selectors import title_statistics
from ratings.services import RatingInput, rate_many
from tests.factories import TitleFactory, UserFactory
from tests.html import select

pytestmark = pytest.mark.django_db


@pytest.fixture
def films():
    return {name: TitleFactory(name=name) for name in ["Interview", "Cars"]}


def test_statistics_count_scores_percentiles_and_years(films):
    title = films["Interview"]
    for n, user in enumerate(UserFactory.create_batch(4)):
        others = [RatingInput(TitleFactory().pk, s) for s in (5, 25, 45, 65, 85)]
        rate_many(
            user,
            [
                RatingInput(
                    title.pk, 100 if n == 0 else 73, "", datetime(2008 + n, 5, 24, tzinfo=UTC)
                ),
                *others,
            ],
        )
    scores, percentiles, years = title_statistics(title)
    assert scores.total == 4
    assert {bar.label: bar.value for bar in scores.bars}["90-100"] == 1
    assert {bar.label: bar.value for bar in scores.bars}["70-79"] == 3
    assert percentiles.total == 4
    assert [bar.label for bar in years.bars] == ["2008", "2009", "2010", "2011"]
    assert all(bar.height >= 0 and bar.y + bar.height <= scores.plot_bottom for bar in scores.bars)


def test_statistics_fragment_is_accessible_inline_svg(client, films):
    title = films["Interview"]
    others = [RatingInput(TitleFactory().pk, score) for score in (5, 25, 45, 85)]
    rate_many(UserFactory(), [RatingInput(title.pk, 60), *others])
    url = reverse("catalog:title-statistics", args=[title.pk, title.slug])
    content = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    charts = select(content, "svg")
    assert len(charts) == 3
    for chart in charts:  # each chart is one labelled image for screen readers
        assert chart.get("role") == "img"
        assert [child.tag for child in chart.children if not isinstance(child, str)][:2] == [
            "title",
            "desc",
        ]
    assert "Distribution of scores" in content and "Ratings per year" in content
    assert select(content, style=True) == []
    assert "60-69: 1 rating" in content


def test_statistics_without_ratings_say_so(client, films):
    title = films["Cars"]
    url = reverse("catalog:title-statistics", args=[title.pk, title.slug])
    assert client.get(url).content.decode().count("No data yet.") == 3


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=abcdefghijk", "youtube-nocookie.com/embed/abcdefghijk"),
        ("https://youtu.be/abcdefghijk", "youtube-nocookie.com/embed/abcdefghijk"),
        ("https://vimeo.com/123456", "player.vimeo.com/video/123456"),
        ("https://www.youtube.com/watch?v=<script>", ""),
        ("https://example.com/trailer", ""),
        ("", ""),
    ],
)
def test_trailer_embed_urls(url, embed):
    result = trailer_embed_url(url)
    assert (embed in result) if embed else result == ""

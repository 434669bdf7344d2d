import itertools
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.filters import TitleFilter
from catalog.models import Title, TitleTrigram, TrigramFrequency
from catalog.search import name_trigrams, normalise_name, prefix_tsquery, search_text
from catalog.selectors import (
    BROWSE_COUNT_CAP,
    GOOD_MATCHES_ENOUGH,
    capped_count,
    title_search,
)
from catalog.services import refresh_trigram_frequencies
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


def test_normalise_name_strips_accents_case_and_punctuation():
    assert normalise_name("Amélie") == "amelie"
    assert normalise_name("  L'Âge d'or: Part II! ") == "l age d or part ii"
    assert normalise_name("Straße Œuvre Søn") == "strasse oeuvre son"
    assert normalise_name("") == ""


def test_search_text_adds_a_different_original_name_only():
    assert search_text("Amelie", "Le Fabuleux Destin d'Amélie Poulain") == (
        "amelie le fabuleux destin d amelie poulain"
    )
    assert search_text("Interview", "Interview") == "interview"


def test_trigrams_are_padded_per_word_like_pg_trgm():
    assert name_trigrams("up") == sorted({"  u", " up", "up "})
    assert "  i" in name_trigrams("interview") and "ew " in name_trigrams("interview")


def test_prefix_tsquery_only_contains_safe_words():
    assert prefix_tsquery("inter view") == "inter:* & view:*"


def _names(query: str) -> list[str]:
    return list(
        title_search(Title.objects.all(), query)
        .order_by("-search_rank")
        .values_list("name", flat=True)
    )


@pytest.fixture
def catalogue():
    TitleFactory(name="Interview", year=2007)
    TitleFactory(name="Amélie", original_name="Le Fabuleux Destin d'Amélie Poulain", year=2001)
    TitleFactory(name="The Interview Room", year=2010)
    TitleFactory(name="Summer Garden", year=1999)


def test_typo_finds_the_title(catalogue):
    assert _names("Intervew")[0] == "Interview"


def test_query_without_accents_finds_accented_title(catalogue):
    assert _names("amelie") == ["Amélie"]
    assert _names("AMÉLIE") == ["Amélie"]


def test_original_name_is_searchable(catalogue):
    assert _names("fabuleux destin") == ["Amélie"]


def test_word_prefix_matches(catalogue):
    assert "Summer Garden" in _names("summ")


def test_exact_name_ranks_above_longer_names(catalogue):
    assert _names("interview")[:2] == ["Interview", "The Interview Room"]


def test_unrelated_query_finds_nothing(catalogue):
    assert _names("zzyzx quartz") == []


def test_renaming_a_title_updates_its_search_fields():
    title = TitleFactory(name="Old Name")
    title.name = "Café Society"
    title.save(update_fields=["name"])
    title.refresh_from_db()
    assert title.search_name == "cafe society"
    assert "caf" in title.name_trigrams
    assert _names("cafe") == ["Café Society"]


def test_browse_filter_sorts_by_relevance_when_searching(catalogue):
    filterset = TitleFilter({"q": "intervew"}, queryset=Title.objects.all())
    assert [t.name for t in filterset.qs][0] == "Interview"


def _trigram_rows() -> set[tuple[int, str]]:
    return set(TitleTrigram.objects.values_list("title_id", "trigram"))


def _expected_rows() -> set[tuple[int, str]]:
    return {
        (pk, g)
        for pk, trigrams in Title.objects.values_list("pk", "name_trigrams")
        for g in trigrams
    }


def test_the_trigram_table_follows_every_title_write():
    """The trigger keeps catalog_titletrigram equal to the titles' name_trigrams: a
    save, a rename, a bulk update (as import_imdb writes) and a delete."""
    interview = TitleFactory(name="Interview")
    other = TitleFactory(name="Amélie")
    assert _trigram_rows() == _expected_rows() != set()
    interview.name = "Moonlight"
    interview.save()
    Title.objects.filter(pk=other.pk).update(name_trigrams=name_trigrams("zodiac"))
    assert _trigram_rows() == _expected_rows()
    assert (other.pk, "zod") in _trigram_rows()
    assert list(title_search(Title.objects.all(), "monlight")) == [interview]
    assert list(title_search(Title.objects.all(), "intervew")) == []
    interview.delete()
    assert _trigram_rows() == _expected_rows()
    assert {pk for pk, _g in _trigram_rows()} == {other.pk}


def test_the_search_count_neither_ranks_nor_counts_past_the_cap():
    """Browse's COUNT finds the matches once, stops one past the cap and computes no rank
    (full-text rank, shared trigrams, similarity): those are in the page's statement."""
    TitleFactory(name="Interview")
    TitleFactory(name="Moonlight")
    queryset = TitleFilter({"q": "intervew"}, queryset=Title.objects.all()).qs
    with CaptureQueriesContext(connection) as queries:
        assert capped_count(queryset) == 1
        assert [t.name for t in queryset[:24]] == ["Interview"]
    count_sql, page_sql = (q["sql"] for q in queries.captured_queries)
    assert "ts_rank" not in count_sql and "cardinality" not in count_sql
    assert f"LIMIT {BROWSE_COUNT_CAP + 1}" in count_sql
    assert "catalog_titletrigram" in count_sql
    assert "ts_rank" in page_sql and page_sql.count("cardinality") == 1


def _interviews(count: int) -> None:
    titles = [Title(name=f"Interview {n}", slug=f"interview-{n}") for n in range(count)]
    for title in titles:
        title.refresh_search_fields()
    Title.objects.bulk_create(titles)  # the trigger writes their trigram rows


def _frequencies(path: str) -> None:
    """Frequencies leading typo search to group every list of "intervew"'s trigrams
    ("grouped": the true, short ones) or to probe its rarest ones ("probed": every other
    list made long)."""
    refresh_trigram_frequencies()
    if path == "probed":
        TrigramFrequency.objects.exclude(trigram__in=["erv", "rve", "vew"]).update(titles=5000)


@pytest.mark.parametrize("path", ["grouped", "probed"])
@pytest.mark.parametrize(
    ("strong", "weak_shown"), [(GOOD_MATCHES_ENOUGH - 1, True), (GOOD_MATCHES_ENOUGH, False)]
)
def test_weak_typo_matches_only_when_the_good_ones_fill_less_than_a_page(strong, weak_shown, path):
    """ "winter in view" shares 6 of "intervew"'s 9 trigrams (a weak match, half or more);
    "Interview N" 7 (a strong one, three quarters or more). Both ways of finding typo
    matches give the same titles."""
    weak = TitleFactory(name="Winter in View")
    _interviews(strong)
    _frequencies(path)
    found = _names("intervew")
    assert (weak.name in found) is weak_shown
    assert len(found) == strong + weak_shown


@pytest.mark.parametrize(("enough", "typo_shown"), [(1, False), (2, True)])
def test_typo_matches_only_when_the_word_matches_fill_less_than_a_page(
    monkeypatch, enough, typo_shown
):
    """ "amelie poulan" shares 12 of "amelie poulain"'s 15 trigrams (a strong typo match)
    but not its words; it is looked for only while the word matches are fewer than
    GOOD_MATCHES_ENOUGH."""
    monkeypatch.setattr("catalog.selectors.GOOD_MATCHES_ENOUGH", enough)
    TitleFactory(name="Amélie Poulain")
    TitleFactory(name="Amelie Poulan")
    expected = ["Amélie Poulain", "Amelie Poulan"] if typo_shown else ["Amélie Poulain"]
    assert _names("amelie poulain") == expected


def test_strong_matches_do_not_depend_on_the_trigram_frequencies(monkeypatch):
    """Strong matches are found through the lists of the query's rarest trigrams only; a
    title with three quarters of the query's trigrams has one of any such set, so none
    is missed whichever trigrams the frequencies make rarest (one strong match is enough
    to leave out the weak ones, such as Winter in View)."""
    monkeypatch.setattr("catalog.selectors.GOOD_MATCHES_ENOUGH", 1)
    interview = TitleFactory(name="Interview")
    TitleFactory(name="Winter in View")
    query = name_trigrams("intervew")
    strong = math.ceil(len(query) * 0.75)
    assert strong == 7
    has = set(interview.name_trigrams)
    for rarest in itertools.combinations(query, len(query) - strong + 1):
        # The chosen ones rarest, and among them the two Interview lacks first.
        TrigramFrequency.objects.all().delete()
        TrigramFrequency.objects.bulk_create(
            TrigramFrequency(trigram=g, titles=(1 if g in rarest else 1000) + (g in has))
            for g in query
        )
        assert list(title_search(Title.objects.all(), "intervew")) == [interview], rarest


def test_refresh_trigram_frequencies_counts_the_titles_of_each_trigram():
    TitleFactory(name="Interview")
    TitleFactory(name="Interview Room")
    TitleFactory(name="Amélie")
    TrigramFrequency.objects.create(trigram="zzz", titles=9)
    refresh_trigram_frequencies()
    counts = dict(TrigramFrequency.objects.values_list("trigram", "titles"))
    assert counts["int"] == 2 and counts["roo"] == 1 and counts["ame"] == 1
    assert "zzz" not in counts
    assert counts == {
        g: sum(g in t for t in Title.objects.values_list("name_trigrams", flat=True))
        for g in counts
    }

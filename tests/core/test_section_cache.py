"""core.cache: generations, the double bump around a commit, cached pages."""

import uuid

import pytest
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import SafeString

from core import cache as section_cache
from tests.factories import TitleFactory
from tests.pages.test_cached_sections import _redis_url


@pytest.mark.django_db
def test_a_section_is_computed_once_until_its_scope_changes():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    read = lambda: section_cache.cached("s", ["a", "b"], (1,), compute)  # noqa: E731
    assert (read(), read()) == (1, 1)
    section_cache.bump("b")
    assert (read(), read()) == (2, 2)
    assert section_cache.cached("s", ["a", "b"], (2,), compute) == 3  # other parts
    section_cache.bump("unrelated")
    assert read() == 2


@pytest.mark.django_db(transaction=True)
def test_what_a_reader_cached_before_the_commit_is_dropped_by_the_commit(settings):
    """With Redis a reader may cache, under the new token, the snapshot from before the
    write commits; the bump after the commit must drop it. (In the database the new
    token commits with the write, so no other connection can see it earlier.)"""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url(),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    with transaction.atomic():
        section_cache.bump("t")
        # A concurrent reader, still seeing the old rows, caches them now.
        assert section_cache.cached("s", ["t"], (), lambda: "before") == "before"
    assert section_cache.cached("s", ["t"], (), lambda: "after") == "after"


@pytest.mark.django_db
def test_a_cached_page_keeps_its_count_and_rows(django_assert_num_queries):
    for n in range(5):
        TitleFactory(name=f"Paged {n}")
    queryset = TitleFactory._meta.model.objects.filter(name__startswith="Paged").order_by("name")
    # One query reads the generations (in the database without Redis), two the page.
    with django_assert_num_queries(3):
        page = section_cache.cached_page("p", ["titles"], (), queryset, 2, "2")
    with django_assert_num_queries(1):
        again = section_cache.cached_page("p", ["titles"], (), queryset, 2, "2")
    expected = Paginator(queryset, 2).get_page(2)
    for got in (page, again):
        assert [t.name for t in got.object_list] == [t.name for t in expected.object_list]
        assert (got.number, got.paginator.count, got.paginator.num_pages) == (2, 5, 3)
    with django_assert_num_queries(2):  # out of range: the last page, count cached
        last = section_cache.cached_page("p", ["titles"], (), queryset, 2, "99")
    assert [t.name for t in last.object_list] == ["Paged 4"]


@pytest.mark.django_db
def test_a_write_to_many_titles_bumps_one_generation_for_all_of_them():
    calls = []
    read = lambda: section_cache.cached(  # noqa: E731
        "stats", section_cache.title_scopes(1), (1,), lambda: calls.append(1) or len(calls)
    )
    assert (read(), read()) == (1, 1)
    section_cache.titles_changed([2, 3])  # other titles, one generation each
    assert read() == 1
    with CaptureQueriesContext(connection) as queries:
        section_cache.titles_changed(range(2, 2 + section_cache.MAX_TITLE_SCOPES + 1))
    assert read() == 2
    (upsert,) = queries.captured_queries  # one statement, two generations
    assert "core_generation" in upsert["sql"] and "'{catalog,titles}'" in upsert["sql"]
    section_cache.titles_changed([1])
    assert read() == 3


@pytest.mark.django_db
def test_pruning_the_generations_never_brings_an_earlier_one_back():
    seen = [tuple(section_cache.generations(["a", "b"]))]
    for _ in range(3):
        section_cache.bump("a", "b")
        seen.append(tuple(section_cache.generations(["a", "b"])))
    assert section_cache.prune_generations() == 6  # three rows each, one fresh row left
    seen.append(tuple(section_cache.generations(["a", "b"])))
    section_cache.bump("a")
    seen.append(tuple(section_cache.generations(["a", "b"])))
    assert len({a for a, _b in seen}) == len(seen)
    with connection.cursor() as cursor:
        cursor.execute("SELECT scope, count(*) FROM core_generation_event GROUP BY scope")
        assert dict(cursor.fetchall()) == {"a": 2, "b": 1}


@pytest.mark.django_db
def test_a_pages_sections_are_read_together_and_each_computed_once():
    """core.cache.Sections: one read of all the scopes' generations, every section at
    once; a bump recomputes only the sections under the bumped scope."""
    calls = []

    def compute(value):
        def run():
            calls.append(value)
            return value

        return run

    wanted = {"a": (["x"], (1,)), "b": (["x", "y"], (2,))}
    first = section_cache.Sections(wanted)
    assert (first.get("a", compute("a1")), first.get("b", compute("b1"))) == ("a1", "b1")
    with CaptureQueriesContext(connection) as queries:
        again = section_cache.Sections(wanted)
        assert (again.get("a", compute("a2")), again.get("b", compute("b2"))) == ("a1", "b1")
    assert len(queries) == 1  # the generations (in the database without Redis)
    section_cache.bump("y")
    later = section_cache.Sections(wanted)
    assert (later.get("a", compute("a3")), later.get("b", compute("b3"))) == ("a1", "b3")
    assert calls == ["a1", "b1", "b3"]


@pytest.mark.django_db
def test_cached_html_is_safe_and_keyed_by_the_sorted_query():
    one = section_cache.query_key(QueryDict("b=2&a=1&a=0&page=3"), leave_out=["page"])
    assert (
        one
        == section_cache.query_key(QueryDict("a=0&a=1&b=2"))
        == (
            ("a", "0"),
            ("a", "1"),
            ("b", "2"),
        )
    )
    html = section_cache.cached_html("h", ["s"], one, lambda: "<b>bold</b>")
    assert isinstance(html, SafeString) and html == "<b>bold</b>"
    assert section_cache.cached_html("h", ["s"], one, lambda: "other") == "<b>bold</b>"

"""Sections shared by every visitor, cached and versioned by change counters.

A *scope* names something that changes: ``title:42`` (that title's ratings, reviews and
fields), ``catalog`` (any title, rating or review: the lists of the home page and of
browse), ``members`` (names and suspensions shown beside ratings) and ``taste`` (the
similar titles the worker computes). Each scope has a *generation*, a random token kept
in the cache. A cached section's key holds the generations of the scopes it reads, so a
write that replaces those tokens (``bump``) makes the next read miss and recompute:
nothing has to find and delete the old entries, which simply expire.

Tokens are random rather than incremented, so an evicted generation can never come back
with an earlier value and revive an old entry. A write bumps twice: at once, inside its
transaction (with the database cache the new token commits with the write), and again
after the commit, which drops anything a reader cached from the last snapshot before
the commit (possible with Redis, which is outside the transaction). A write that rolls
back only costs a recomputation.

The cache is Django's default cache: Redis when ``REDIS_URL`` is set (generations and
sections both there), else local memory for the sections and a database table for the
generations (below): every web worker keeps its own copies, but all read the same
generations, so no process can serve a section another one changed. Personal parts of a
page are never cached here.
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

T = TypeVar("T")

# Sections expire after a day even if nothing changes. A generation outlives them (an
# expired generation only gets a new token: every section under it misses once).
SECTION_TIMEOUT = 24 * 60 * 60
GENERATION_TIMEOUT = 7 * SECTION_TIMEOUT
_MISSING = object()

CATALOG = "catalog"
MEMBERS = "members"
TASTE = "taste"
# Any public collection or its titles (the "Collections" section of a title page).
COLLECTIONS = "collections"
# Every title's own sections at once: a write touching more titles than
# MAX_TITLE_SCOPES (an import, a recompute, a member with many ratings whose percentiles
# all move) bumps this one generation instead of one per title.
ALL_TITLES = "titles"
MAX_TITLE_SCOPES = 50
# Likewise for members: a write touching more members (a bulk recompute) bumps MEMBERS.
MAX_MEMBER_SCOPES = 50
# Titles' own fields, posters, credits, people and genres, but not their ratings: what
# a page listing a member's titles (the profile) shows of them, so that another
# member's rating does not make it miss.
TITLE_FIELDS = "title-fields"


def title_scope(title_id: int) -> str:
    return f"title:{title_id}"


def title_scopes(title_id: int) -> list[str]:
    """The scopes of a title's own sections (its ratings pages, its statistics)."""
    return [title_scope(title_id), ALL_TITLES]


def _title_change_scopes(title_ids) -> list[str]:
    """One generation per title, or ALL_TITLES when there are many (so a bulk write
    costs a few cache writes), and the shared lists."""
    title_ids = set(title_ids)
    if len(title_ids) > MAX_TITLE_SCOPES:
        return [CATALOG, ALL_TITLES]
    return [CATALOG, *map(title_scope, sorted(title_ids))]


def member_scope(user_id: int) -> str:
    """A member's own data on their profile: ratings, reviews, follows, diary."""
    return f"member:{user_id}"


def _member_change_scopes(user_ids) -> list[str]:
    """One generation per member, or MEMBERS for many (a bulk recompute), which every
    section naming members reads too."""
    user_ids = set(user_ids)
    if len(user_ids) > MAX_MEMBER_SCOPES:
        return [MEMBERS]
    return list(map(member_scope, sorted(user_ids)))


def titles_changed(title_ids, members=()) -> None:
    """Titles' own sections and the shared lists changed, and the profiles of
    ``members`` (their raters), in one write."""
    bump(*_title_change_scopes(title_ids), *_member_change_scopes(members))


def titles_edited(title_ids) -> None:
    """Titles' own fields (not ratings) changed: their sections, the shared lists and
    every page that shows them beside a member's ratings."""
    bump(*_title_change_scopes(title_ids), TITLE_FIELDS)


def members_changed(user_ids) -> None:
    """Members' own data changed (see member_scope)."""
    bump(*_member_change_scopes(user_ids))


# Without Redis the generations live in an append-only table (core's migration): a
# bump inserts one row per scope in the writer's own transaction, so it commits or rolls
# back with the write and locks nothing (concurrent raters never wait on each other);
# a scope's generation is its rows' count and greatest id, read with one index-only
# query. Every commit adds a row, so the pair changes; ``prune_generations`` (the
# worker, hourly) keeps one fresh row per scope, with an id above every earlier one, so
# no pair seen before a prune can come back. (Django's database cache checks its size
# with a COUNT(*) on every write, which made a rating several times slower.)
GENERATIONS_TABLE = "core_generation_event"
READ_GENERATIONS_SQL = f"""
SELECT scope, count(*), max(id) FROM {GENERATIONS_TABLE} WHERE scope = ANY(%s) GROUP BY scope
"""
WRITE_GENERATIONS_SQL = f"INSERT INTO {GENERATIONS_TABLE} (scope) SELECT unnest(%s::varchar[])"
PRUNE_GENERATIONS_SQL = f"""
WITH scopes AS (
    SELECT scope FROM {GENERATIONS_TABLE} GROUP BY scope HAVING count(*) > 1
), fresh AS (
    INSERT INTO {GENERATIONS_TABLE} (scope) SELECT scope FROM scopes RETURNING scope, id
)
DELETE FROM {GENERATIONS_TABLE} AS e USING fresh AS f WHERE e.scope = f.scope AND e.id < f.id
"""


def prune_generations() -> int:
    """Keep one row per scope in the generations table (a fresh one); returns rows
    deleted. Without Redis only; run by the worker every hour."""
    if _in_redis():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PRUNE_GENERATIONS_SQL)
        return cursor.rowcount


def _in_redis() -> bool:
    """Generations are kept in the cache when it is Redis (shared, outside the database),
    else in the database."""
    return settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def _generation_key(scope: str) -> str:
    return f"gen:{scope}"


def generations(scopes: Iterable[str]) -> list[str]:
    """The current token of each scope (one round trip when they all exist)."""
    scopes = list(scopes)
    if not _in_redis():
        with connection.cursor() as cursor:
            cursor.execute(READ_GENERATIONS_SQL, [scopes])
            found = {scope: f"{count}-{last}" for scope, count, last in cursor.fetchall()}
        return [found.get(scope, "0") for scope in scopes]
    keys = [_generation_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            # add() keeps a token another process set meanwhile, so all agree.
            cache.add(key, secrets.token_hex(8), GENERATION_TIMEOUT)
        found.update(cache.get_many(missing))
    # A token evicted between add() and get_many() gets a fresh one for this read only.
    return [found.get(key) or secrets.token_hex(8) for key in keys]


def _replace(scopes: list[str]) -> None:
    tokens = {_generation_key(scope): secrets.token_hex(8) for scope in scopes}
    cache.set_many(tokens, GENERATION_TIMEOUT)


def bump(*scopes: str) -> None:
    """Mark ``scopes`` changed. In the database: in the current transaction. In Redis:
    now, and again once the current transaction commits."""
    scopes_list = sorted(set(scopes))
    if not scopes_list:
        return
    if not _in_redis():
        with connection.cursor() as cursor:
            cursor.execute(WRITE_GENERATIONS_SQL, [scopes_list])
        return
    _replace(scopes_list)
    transaction.on_commit(lambda: _replace(scopes_list))


# Part of every section's key: raise it when what a section holds changes shape (a dict
# of HTML where there was a list of rows), so a new release never reads an old entry.
SECTIONS_FORMAT = 2


def _key(section: str, tokens: list[str], parts: tuple) -> str:
    detail = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return f"section:{SECTIONS_FORMAT}:{section}:{'.'.join(tokens)}:{detail}"


def cached(
    section: str,
    scopes: Iterable[str],
    parts: tuple,
    compute: Callable[[], T],
    tokens: list[str] | None = None,
) -> T:
    """``compute()``'s value for ``section`` and ``parts`` (the arguments it depends on),
    read from the cache while none of ``scopes`` changed, else computed and stored.
    ``tokens``: the scopes' generations when the caller already read them."""
    key = _key(section, tokens if tokens is not None else generations(scopes), parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, SECTION_TIMEOUT)
    return value


class Sections:
    """Several cached sections of one page, read in two round trips: the generations of
    all their scopes, then every section at once (``wanted``: {name: (scopes, parts)}).
    ``get`` computes and stores one that was missing."""

    def __init__(self, wanted: dict[str, tuple[Iterable[str], tuple]]):
        wanted = {name: (list(scopes), parts) for name, (scopes, parts) in wanted.items()}
        scopes = sorted({scope for names, _parts in wanted.values() for scope in names})
        tokens = dict(zip(scopes, generations(scopes), strict=True))
        self._keys = {
            name: _key(name, [tokens[scope] for scope in names], parts)
            for name, (names, parts) in wanted.items()
        }
        self._found = cache.get_many(list(self._keys.values())) if self._keys else {}

    def get(self, name: str, compute: Callable[[], T]) -> T:
        key = self._keys[name]
        value = self._found.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            cache.set(key, value, SECTION_TIMEOUT)
            self._found[key] = value
        return value

    def html(self, name: str, render: Callable[[], str]) -> SafeString:
        """A section of HTML (see ``cached_html``)."""
        return mark_safe(self.get(name, lambda: str(render())))


def cached_html(
    section: str, scopes: Iterable[str], parts: tuple, render: Callable[[], str]
) -> SafeString:
    """The HTML ``render()`` returns for ``section`` and ``parts``, cached like ``cached``.

    Rendering, not reading, is most of a page's time (Django's template engine resolves
    every variable, filter and include of every row on every request), so the sections
    everyone shares are cached as HTML. The fragment must hold nothing personal: no CSRF
    token, no session data, nothing of the viewer's beyond what ``parts`` names."""
    return mark_safe(cached(section, scopes, parts, lambda: str(render())))


def query_key(query: QueryDict, leave_out: Iterable[str] = ()) -> tuple:
    """A query string as a sorted tuple of its pairs, for the ``parts`` of a fragment
    that depends on it (its links keep the other parameters)."""
    leave_out = set(leave_out)
    pairs = ((key, value) for key in query if key not in leave_out for value in query.getlist(key))
    return tuple(sorted(pairs))


class CachedPaginator(Paginator):
    """A paginator whose count was read from the cache."""

    def __init__(self, object_list, per_page, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count


def cached_page(
    section: str, scopes: Iterable[str], parts: tuple, queryset, per_page: int, number: Any
) -> Page:
    """``Paginator(queryset, per_page).get_page(number)``, with the count and the page's
    rows cached under ``scopes`` (``parts`` identify the queryset). The rows are
    evaluated into a list, so they must be all the page shows."""
    scopes = list(scopes)
    tokens = generations(scopes)
    count = cached(f"{section}:count", scopes, parts, queryset.count, tokens)
    page = CachedPaginator(queryset, per_page, count).get_page(number)
    rows = page.object_list
    page.object_list = cached(
        f"{section}:page", scopes, (*parts, page.number), lambda: list(rows), tokens
    )
    return page

"""Reads for catalog pages."""

import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page
from django.db.models import BooleanField, Count, F, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.http import Http404, QueryDict

from catalog.models import (
    Credit,
    CreditRole,
    Person,
    Title,
    TitleTrigram,
    TrigramFrequency,
    WatchLink,
)
from catalog.search import MAX_QUERY_WORDS, name_trigrams, normalise_name, prefix_tsquery
from core import cache as section_cache
from core.cache import CachedPaginator

# A title needs this many ratings before it is ranked among the top titles, so that
# one enthusiastic rater cannot put an obscure title at the top.
TOP_TITLES_MIN_RATINGS = 10
# A title matches a query by trigrams when it contains at least this share of the
# query's trigrams: "intervew" shares 7 of its 9 with "interview".
MIN_TRIGRAM_COVERAGE = 0.5
# A strong (typo) match contains at least this share: one typo in a word of eight letters
# or more ("intervew" 7 of 9, "monlight" 8 of 9). The weaker matches (half the trigrams,
# as "winter in view" shares 5 of "intervew"'s 9) are looked for only when the strong ones
# and the word matches together fill less than a page.
STRONG_TRIGRAM_COVERAGE = 0.75
MAIN_CAST = 8
BROWSE_PER_PAGE = 24
# Browse and search count their results up to this many, then show "1000+" (as big
# sites show "about N results"): counting every one of 20,000 titles, or of a common
# word's matches, would grow with the catalogue; pages beyond it are not offered.
BROWSE_COUNT_CAP = 1000
# Weak typo matches are looked for only when the word and strong matches are fewer than
# this: a page of them.
GOOD_MATCHES_ENOUGH = BROWSE_PER_PAGE
# Typo search groups every posting list of the query's trigrams when they hold at most
# this many rows together (about a millisecond): a small catalogue needs no shortcut.
GROUP_ALL_ROWS = 2000


def home_top_titles(limit: int = 12) -> QuerySet[Title]:
    # On the stats row's columns, in the order of its index (titlestats_top_percentile).
    return Title.objects.filter(
        stats__ratings_count__gte=TOP_TITLES_MIN_RATINGS, stats__avg_percentile__isnull=False
    ).order_by(
        F("stats__avg_percentile").desc(nulls_last=True), F("stats__ratings_count").desc(), "id"
    )[:limit]


# Search ---------------------------------------------------------------------------------

TITLES = Title._meta.db_table

TRIGRAMS = TitleTrigram._meta.db_table
FREQUENCIES = TrigramFrequency._meta.db_table

# The titles a query matches, found once per statement (the count and the page read only
# this; the page adds the rank below for the matching rows alone), in three tiers, each
# looked for only while the ones before it found fewer than `enough` (GOOD_MATCHES_ENOUGH,
# a page) titles (a One-Time Filter on their count skips the tier's scans otherwise):
# - word matches: prefix full-text search on the normalised name (GIN);
# - strong typo matches, titles sharing at least `strong` of the query's trigrams;
# - weak typo matches, titles sharing at least `weak` (half) of them.
# Typo matches are found one of two ways, chosen by the length of the query's posting
# lists (catalog_trigramfrequency; the results are the same either way):
# - `grouped`: every list of the query's trigrams read and grouped by title, once for
#   both tiers, when they are short (at most GROUP_ALL_ROWS rows), or not ten times as
#   long as the probed lists below;
# - else the lists of the rarest (trigrams - strong + 1) trigrams only (`probe`): a title
#   with `strong` of the query's trigrams has one of any that many, and each title found
#   there is checked against all of them. The common trigrams (" in", "ter", the words'
#   first letters), whose lists grow with the catalogue, are read only for weak matches.
# Positional parameters: tsquery, trigrams, probe, enough, group_all_rows, trigrams, weak,
# strong, trigrams, strong, enough, enough, trigrams, weak.
MATCHING_TITLES_SQL = f"""
WITH words AS MATERIALIZED (
    SELECT id FROM {TITLES} WHERE search_vector @@ to_tsquery('simple', %s)
), lists AS MATERIALIZED (
    SELECT g.trigram, coalesce(
        (SELECT f.titles FROM {FREQUENCIES} AS f WHERE f.trigram = g.trigram), 0) AS titles
      FROM unnest(%s::varchar[]) AS g(trigram)
), probe AS MATERIALIZED (
    SELECT trigram, titles FROM lists ORDER BY titles, trigram LIMIT %s
), plan AS MATERIALIZED (
    SELECT (SELECT count(*) FROM words) < %s AS typos,
           (SELECT sum(titles) FROM lists)
               <= greatest(%s, 10 * (SELECT sum(titles) FROM probe)) AS group_all
), grouped AS MATERIALIZED (
    SELECT title_id AS id, count(*) AS shared FROM {TRIGRAMS}
     WHERE (SELECT typos AND group_all FROM plan) AND trigram = ANY(%s::varchar[])
     GROUP BY title_id HAVING count(*) >= %s
), good AS MATERIALIZED (
    SELECT id FROM words
    UNION
    SELECT id FROM grouped WHERE shared >= %s
    UNION
    SELECT t.id FROM {TITLES} AS t
     WHERE (SELECT typos AND NOT group_all FROM plan)
       AND t.id = ANY(ARRAY(SELECT DISTINCT title_id FROM {TRIGRAMS}
                             WHERE trigram = ANY(ARRAY(SELECT trigram FROM probe))))
       AND (SELECT count(*) FROM unnest(t.name_trigrams) AS g(trigram)
             WHERE g.trigram = ANY(%s::varchar[])) >= %s
)
SELECT id FROM good
UNION
SELECT id FROM grouped WHERE (SELECT count(*) FROM good) < %s
UNION
SELECT title_id FROM {TRIGRAMS}
 WHERE (SELECT count(*) FROM good) < %s AND NOT (SELECT group_all FROM plan)
   AND trigram = ANY(%s::varchar[])
 GROUP BY title_id HAVING count(*) >= %s
"""
# The rank's trigram part for a matching title: the share of the query's trigrams it has,
# plus pg_trgm's similarity() of the whole name (shared / union of trigrams), which ranks
# a close match above a long name that merely contains the query's trigrams. The shared
# trigrams are counted once per title (name_trigrams holds distinct values; pg_trgm is
# not assumed, so they are counted by hand). Parameters: trigram count (twice), trigrams.
TRIGRAM_RANK_SQL = f"""(
    SELECT shared / %s + shared / greatest(1, cardinality({TITLES}.name_trigrams) + %s - shared)
      FROM (SELECT count(*)::float AS shared FROM unnest({TITLES}.name_trigrams) AS g(trigram)
             WHERE g.trigram = ANY(%s::varchar[])) AS counted
)"""
# A bonus for the exact (normalised) name, so "Up" finds Up before "Up in the Air".
EXACT_NAME_SQL = f"CASE WHEN {TITLES}.search_name = %s THEN 1.0 ELSE 0.0 END"


def title_search(queryset: QuerySet[Title], query: str) -> QuerySet[Title]:
    """Titles matching a free-text query, annotated with `search_rank` (higher is better).

    Matches by prefix full-text search on the normalised name; when those are fewer
    than a page, also by sharing at least three quarters of the query's trigrams (a
    typo), and when all those are fewer than a page, half of them. Ranks by full-text
    rank, the share of the query's trigrams found, the trigram similarity of the whole
    name, and an exact-name bonus. The match reads the rarest trigrams' lists first
    (MATCHING_TITLES_SQL); the rank is computed for the matching titles of the page's
    statement, never for the count.
    """
    normalised = normalise_name(query)
    if not normalised:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    trigrams = name_trigrams(normalised)
    raw_tsquery = prefix_tsquery(normalised)
    tsquery = SearchQuery(raw_tsquery, search_type="raw", config="simple")
    weak = max(1, math.ceil(len(trigrams) * MIN_TRIGRAM_COVERAGE))
    strong = max(weak, math.ceil(len(trigrams) * STRONG_TRIGRAM_COVERAGE))
    probe = len(trigrams) - strong + 1
    # id = ANY(ARRAY(...)): the matches are found once (an InitPlan), then read by primary
    # key; an IN (...) join would be planned on a guessed number of matches.
    matching = RawSQL(
        f"{TITLES}.id = ANY(ARRAY({MATCHING_TITLES_SQL}))",
        [raw_tsquery, trigrams, probe, GOOD_MATCHES_ENOUGH, GROUP_ALL_ROWS, trigrams, weak]
        + [strong, trigrams, strong, GOOD_MATCHES_ENOUGH, GOOD_MATCHES_ENOUGH, trigrams, weak],
        output_field=BooleanField(),
    )
    trigram_rank = RawSQL(
        TRIGRAM_RANK_SQL,
        (float(len(trigrams)), len(trigrams), trigrams),
        output_field=FloatField(),
    )
    exact = RawSQL(EXACT_NAME_SQL, (normalised,), output_field=FloatField())
    return queryset.filter(matching).annotate(
        search_rank=SearchRank(F("search_vector"), tsquery) + trigram_rank + exact
    )


# Browse ---------------------------------------------------------------------------------


def capped_count(queryset: QuerySet, cap: int | None = None) -> int:
    """The number of rows of ``queryset``, counted up to ``cap + 1`` at most (so a result
    above ``cap``, BROWSE_COUNT_CAP by default, is known to be "more than cap"): one
    COUNT over a LIMITed subquery of primary keys, neither ordered nor ranked."""
    cap = BROWSE_COUNT_CAP if cap is None else cap
    return queryset.order_by().values("pk")[: cap + 1].count()


class BrowsePaginator(CachedPaginator):
    """Pages of browse results whose count stops at BROWSE_COUNT_CAP + 1: ``capped`` says
    the true number is larger (the page says "More than 1000 titles"), and the last page
    offered ends at the first row beyond the cap."""

    @property
    def cap(self) -> int:
        return BROWSE_COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def browse_paginator(queryset: QuerySet[Title], per_page: int, count: int | None = None):
    """A BrowsePaginator over ``queryset``, its count capped (``count``: already known)."""
    return BrowsePaginator(queryset, per_page, capped_count(queryset) if count is None else count)


def browse_page(queryset: QuerySet[Title], query: QueryDict, page_number) -> Page:
    """One page of browse results (``queryset``, filtered and ordered from ``query``),
    the same for everyone: the count (capped) and the page's titles are cached until any
    title, rating or review changes. ``query`` (without ``page``) identifies the results."""
    params = tuple(
        sorted((key, value) for key in query if key != "page" for value in query.getlist(key))
    )
    scopes = [section_cache.CATALOG]
    tokens = section_cache.generations(scopes)
    count = section_cache.cached(
        "browse:count", scopes, params, lambda: capped_count(queryset), tokens
    )
    page = browse_paginator(queryset, BROWSE_PER_PAGE, count).get_page(page_number)
    rows = page.object_list
    page.object_list = section_cache.cached(
        "browse:page", scopes, (*params, page.number), lambda: list(rows), tokens
    )
    return page


PEOPLE = Person._meta.db_table
# The same trigram measures for people (names only; no full-text vector: a name is short).
PERSON_SHARED_TRIGRAMS_SQL = (
    f"(SELECT count(*) FROM unnest({PEOPLE}.name_trigrams) AS g(trigram)"
    " WHERE g.trigram = ANY(%s::varchar[]))"
)
PERSON_SIMILARITY_SQL = (
    f"{PERSON_SHARED_TRIGRAMS_SQL}::float / greatest(1, cardinality({PEOPLE}.name_trigrams)"
    f" + %s - {PERSON_SHARED_TRIGRAMS_SQL})"
)
PEOPLE_IN_SEARCH = 12


def person_search(query: str, limit: int = PEOPLE_IN_SEARCH) -> list[Person]:
    """People whose name matches a free-text query with the titles' typo tolerance: a
    name word starting with a query word, or enough shared trigrams ("kubrik" finds
    Stanley Kubrick). Best first, each with ``credits_count``. One query."""
    normalised = normalise_name(query)
    if not normalised:
        return []
    trigrams = name_trigrams(normalised)
    min_shared = max(1, math.ceil(len(trigrams) * MIN_TRIGRAM_COVERAGE))
    shared = RawSQL(PERSON_SHARED_TRIGRAMS_SQL, (trigrams,), output_field=FloatField())
    similarity = RawSQL(
        PERSON_SIMILARITY_SQL, (trigrams, len(trigrams), trigrams), output_field=FloatField()
    )
    prefix = Q()
    for word in normalised.split()[:MAX_QUERY_WORDS]:
        prefix &= Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
    return list(
        Person.objects.annotate(shared_trigrams=shared)
        .filter(prefix | Q(name_trigrams__overlap=trigrams, shared_trigrams__gte=min_shared))
        .annotate(
            search_rank=F("shared_trigrams") / float(len(trigrams)) + similarity,
            credits_count=Count("credits"),
        )
        .order_by(F("search_rank").desc(), F("credits_count").desc(), "name", "id")[:limit]
    )


# Title page -----------------------------------------------------------------------------


def title_for_page(pk: int) -> Title:
    """A title with everything its page shows beside ratings, in four queries."""
    credits = Credit.objects.select_related("person").order_by("role", "order", "person__name")
    try:
        return Title.objects.prefetch_related(
            "genres",
            Prefetch("credits", queryset=credits),
            Prefetch("watch_links", queryset=WatchLink.objects.order_by("kind", "provider")),
        ).get(pk=pk)
    except Title.DoesNotExist:
        raise Http404("No title with this number.") from None


def title_by_pk(pk: int) -> Title:
    """A title alone (one query), 404 if there is none."""
    try:
        return Title.objects.get(pk=pk)
    except Title.DoesNotExist:
        raise Http404("No title with this number.") from None


@dataclass
class TitlePeople:
    directors: list[Credit] = field(default_factory=list)
    writers: list[Credit] = field(default_factory=list)
    cast: list[Credit] = field(default_factory=list)


def title_people(title: Title, main_cast: int = MAIN_CAST) -> TitlePeople:
    """Directors, writers and the first billed cast, from the prefetched credits."""
    people = TitlePeople()
    for credit in title.credits.all():
        if credit.role == CreditRole.DIRECTOR:
            people.directors.append(credit)
        elif credit.role == CreditRole.WRITER:
            people.writers.append(credit)
        elif len(people.cast) < main_cast:
            people.cast.append(credit)
    return people


def title_watch_links(title: Title) -> list[tuple[str, list[WatchLink]]]:
    """Watch links grouped by kind in the order stream, rent, buy."""
    groups: dict[str, list[WatchLink]] = {}
    for link in title.watch_links.all():
        groups.setdefault(link.get_kind_display(), []).append(link)
    order = ["Stream", "Rent", "Buy"]
    return sorted(groups.items(), key=lambda item: order.index(item[0]))


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def trailer_embed_url(url: str) -> str:
    """The privacy-friendly embed URL of a YouTube or Vimeo trailer, or "" if unknown."""
    if not url:
        return ""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host in ("youtube.com", "youtube-nocookie.com"):
        if parsed.path == "/watch":
            video_id = parse_qs(parsed.query).get("v", [""])[0]
        elif parsed.path.startswith(("/embed/", "/shorts/")):
            video_id = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parsed.path.strip("/").split("/")[0]
    elif host in ("vimeo.com", "player.vimeo.com"):
        digits = [part for part in parsed.path.split("/") if part.isascii() and part.isdecimal()]
        return f"https://player.vimeo.com/video/{digits[0]}?autoplay=1" if digits else ""
    if _YOUTUBE_ID.match(video_id or ""):
        return f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1&rel=0"
    return ""


# People pages ---------------------------------------------------------------------------


def person_for_page(pk: int) -> Person:
    try:
        return Person.objects.get(pk=pk)
    except Person.DoesNotExist:
        raise Http404("No person with this number.") from None


@dataclass
class Filmography:
    """A person's credits grouped by role (director, writer, cast), newest first."""

    roles: list[tuple[str, list[Credit]]]
    titles: list[Title]
    main_role: str


def person_filmography(person: Person) -> Filmography:
    """Every credit of a person with its title (one query), grouped by role in the
    order director, writer, cast; ``main_role`` is the role with most credits."""
    credits = list(
        Credit.objects.filter(person=person)
        .select_related("title__stats")  # the rows show the aggregates
        .order_by(F("title__year").desc(nulls_last=True), "title__name", "title_id")
    )
    groups: dict[str, list[Credit]] = {role: [] for role in CreditRole.values}
    titles: dict[int, Title] = {}
    for credit in credits:
        groups[credit.role].append(credit)
        titles.setdefault(credit.title_id, credit.title)
    labels = dict(CreditRole.choices)
    roles = [(labels[role], items) for role, items in groups.items() if items]
    main_role = max(groups, key=lambda role: len(groups[role])) if credits else CreditRole.CAST
    return Filmography(roles, list(titles.values()), main_role)

"""Matching parsed rows to catalog titles: by IMDb id, else by normalised title and year.

A row with a year matches a title of that year; when none has that year, a single title
one year either side matches (release years differ by a year between sites). Several
candidates make the row ambiguous, to be settled on the preview page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from accounts.importers.normalise import normalise_title
from accounts.importers.parsing import ParsedRow
from catalog.models import Title

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
UNMATCHED = "unmatched"
INVALID = "invalid"

MAX_CANDIDATES = 6
_CHUNK = 5_000


def _label(name: str, year: int | None) -> str:
    return f"{name} ({year})" if year else name


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _titles_by_imdb_id(imdb_ids: set[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted(imdb_ids)):
        for imdb_id, pk, name, year in Title.objects.filter(imdb_id__in=chunk).values_list(
            "imdb_id", "id", "name", "year"
        ):
            found[imdb_id] = (pk, _label(name, year))
    return found


def _title_index(rows: list[ParsedRow]) -> dict[str, list[tuple[int, int | None, str]]]:
    """normalised name -> [(title id, year, label)] for every title a row could match.

    One query: titles of the rows' years (and a year either side), plus titles whose
    lowercased name or original name equals a row's name whatever their year.
    """
    years: set[int] = set()
    names: set[str] = set()
    for row in rows:
        if row.year:
            years.update((row.year - 1, row.year, row.year + 1))
        for name in (row.name, row.alt_name):
            if name:
                names.add(name.casefold())
    index: dict[str, list[tuple[int, int | None, str]]] = defaultdict(list)
    if not names:
        return index
    condition = Q(year__in=sorted(years)) if years else Q()
    for chunk in _chunks(sorted(names)):
        condition |= Q(lname__in=chunk) | Q(loname__in=chunk)
    titles = (
        Title.objects.annotate(lname=Lower("name"), loname=Lower("original_name"))
        .filter(condition)
        .values_list("id", "name", "original_name", "year")
        .order_by()
    )
    for pk, name, original_name, year in titles.iterator(chunk_size=_CHUNK):
        entry = (pk, year, _label(name, year))
        keys = {normalise_title(name)}
        if original_name:
            keys.add(normalise_title(original_name))
        for key in keys:
            if key:
                index[key].append(entry)
    return index


def _match_by_name(row: ParsedRow, index) -> dict:
    seen: dict[int, tuple[int, int | None, str]] = {}
    for name in (row.name, row.alt_name):
        for entry in index.get(normalise_title(name), ()) if name else ():
            seen[entry[0]] = entry
    candidates = list(seen.values())
    if row.year:
        exact = [c for c in candidates if c[1] == row.year]
        if len(exact) == 1:
            return {"status": MATCHED, "title_id": exact[0][0], "title_label": exact[0][2]}
        if not exact:
            near = [c for c in candidates if c[1] and abs(c[1] - row.year) == 1]
            if len(near) == 1:
                return {
                    "status": MATCHED,
                    "title_id": near[0][0],
                    "title_label": near[0][2],
                    "method": "title, year ±1",
                }
            exact = near
        candidates = exact
    if len(candidates) == 1:
        return {"status": MATCHED, "title_id": candidates[0][0], "title_label": candidates[0][2]}
    if candidates:
        candidates.sort(key=lambda c: (c[1] or 0, c[2]))
        return {
            "status": AMBIGUOUS,
            "candidates": [[c[0], c[2]] for c in candidates[:MAX_CANDIDATES]],
        }
    return {"status": UNMATCHED}


def match_rows(
    rows: list[ParsedRow],
    progress: Callable[[int], object] | None = None,
    every: int = _CHUNK,
) -> list[dict]:
    """Each row as a dict (ParsedRow fields) plus its match: status, title_id, title_label,
    method, candidates. Uses a bounded number of queries whatever the number of rows.

    ``progress(rows_done)`` is called every ``every`` rows matched by name and once at
    the end (the background import reports it on the batch)."""
    results = [row.as_dict() for row in rows]
    valid = [(i, row) for i, row in enumerate(rows) if not row.error]
    by_imdb = _titles_by_imdb_id({row.imdb_id for _, row in valid if row.imdb_id})
    by_name: list[tuple[int, ParsedRow]] = []
    for i, row in valid:
        if row.imdb_id and row.imdb_id in by_imdb:
            pk, label = by_imdb[row.imdb_id]
            results[i].update(status=MATCHED, title_id=pk, title_label=label, method="IMDb id")
        else:
            by_name.append((i, row))
    index = _title_index([row for _, row in by_name])
    done_before = len(rows) - len(by_name)
    for n, (i, row) in enumerate(by_name, start=1):
        match = _match_by_name(row, index)
        if match["status"] == MATCHED:
            match.setdefault("method", "title and year" if row.year else "title")
        results[i].update(match)
        if progress is not None and n % every == 0:
            progress(done_before + n)
    for i, row in enumerate(rows):
        if row.error:
            results[i]["status"] = INVALID
    if progress is not None:
        progress(len(rows))
    return results

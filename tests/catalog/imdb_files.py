"""Writers of small IMDb-style TSV files for the import tests (and the import benchmark)."""

import gzip
import random
from pathlib import Path

BASICS_HEADER = (
    "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear"
    "\truntimeMinutes\tgenres"
)
GENRES = ["Drama", "Comedy", "Romance", "Thriller", "Crime", "Documentary", "Sci-Fi", "Horror"]
TYPES = ["movie"] * 6 + ["short", "tvSeries", "tvMiniSeries", "tvMovie", "tvEpisode", "video"]
WORDS = [
    "night",
    "day",
    "city",
    "love",
    "last",
    "first",
    "lost",
    "return",
    "dark",
    "river",
    "king",
    "queen",
    "house",
    "road",
    "summer",
    "winter",
    "garden",
    "secret",
    "shadow",
    "dream",
    "light",
    "story",
    "man",
    "woman",
    "child",
    "stranger",
    "journey",
    "silent",
    "fire",
    "ocean",
]


def write_tsv(path: Path, header: str, rows: list[str]) -> Path:
    text = "\n".join([header, *rows]) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def generated_basics_rows(count: int, seed: int = 7) -> list[str]:
    """`count` plausible title.basics rows with a mix of kinds, nulls and genres."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, count + 1):
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title()
        year = str(rng.randint(1920, 2025)) if rng.random() > 0.05 else "\\N"
        runtime = str(rng.randint(5, 200)) if rng.random() > 0.1 else "\\N"
        genres = ",".join(rng.sample(GENRES, rng.randint(1, 3))) if rng.random() > 0.05 else "\\N"
        original = name if rng.random() > 0.2 else f"{name} (original)"
        rows.append(
            f"tt{number:07d}\t{rng.choice(TYPES)}\t{name}\t{original}\t0\t{year}\t\\N"
            f"\t{runtime}\t{genres}"
        )
    return rows

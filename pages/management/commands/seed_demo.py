"""Load a deterministic, realistic demo: real films, people with different rating
habits and tastes, ratings, reviews and collections; posters are queued for the worker
(catalog.tasks) instead of drawn here, so the first start is quick.

Idempotent: whatever exists already is left as it is, so a second run changes
nothing. `--if-empty` does nothing at all when the catalog has any title (used by
`make run`).
"""

import csv
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import F
from django.utils.text import slugify

from accounts.models import RatingScale, User
from catalog.models import Credit, CreditRole, Genre, Person, Title, WatchKind, WatchLink
from catalog.tasks import queue_missing_posters
from collections_app.models import Collection
from collections_app.services import collection_add_title, collection_create
from moderation.models import Reason, Report
from moderation.selectors import target_for
from moderation.services import grant_moderator
from moderation.services import report as report_item
from pages.demo_library import load_library
from pages.demo_social import seed_social
from pages.demo_writing import FilmFacts, ReviewWriter, bio_for
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from taste.rebuild import rebuild as rebuild_taste

FILMS_CSV = Path(__file__).resolve().parents[2] / "demo_data" / "films.csv"
SEED = 20071024
DEMO_PASSWORD = "demo1234"
USER_COUNT = 220
# Members joined between these dates; each rates only after joining.
JOIN_FROM = datetime(2006, 1, 1, tzinfo=UTC)
JOIN_DAYS = (datetime(2025, 6, 1, tzinfo=UTC) - JOIN_FROM).days

# Taste clusters: how much each cluster likes each genre (unlisted genres: 0).
CLUSTERS = {
    "arthouse": {"Drama": 0.9, "Romance": 0.4, "War": 0.3, "Action": -0.8, "Family": -0.5},
    "blockbuster": {"Action": 1.0, "Adventure": 0.8, "Sci-Fi": 0.8, "Fantasy": 0.5, "Drama": -0.4},
    "genre": {"Horror": 1.2, "Thriller": 0.8, "Mystery": 0.6, "Crime": 0.5, "Romance": -0.7},
    "light": {"Comedy": 1.0, "Family": 0.9, "Animation": 0.9, "Musical": 0.6, "Horror": -1.0},
    "classic": {"Western": 0.9, "Crime": 0.6, "History": 0.6, "Film-Noir": 0.8, "Sci-Fi": -0.4},
}


@dataclass(frozen=True)
class Habit:
    """How a person turns liking into a number."""

    name: str
    centre: float
    spread: float
    low: int
    high: int
    step: int
    weight: int


HABITS = [
    Habit("typical", 66, 15, 0, 100, 1, 40),
    Habit("round fives", 65, 16, 0, 100, 5, 20),
    Habit("harsh", 38, 18, 0, 100, 1, 12),
    Habit("generous", 82, 9, 0, 100, 1, 12),
    Habit("upper half only", 76, 12, 50, 100, 1, 8),
    # Rates on the 1-10 scale: every stored score is one they could have typed (n x 10).
    Habit("out of ten", 62, 16, 10, 100, 10, 6),
    # Fewer than 5 distinct scores: these people's ratings have no percentiles.
    Habit("thumbs", 50, 40, 0, 100, 50, 2),
]

FIRST_NAMES = [
    "ann",
    "ben",
    "carla",
    "dev",
    "elif",
    "femi",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kai",
    "lena",
    "milo",
    "nadia",
    "omar",
    "pia",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "ugo",
    "vera",
    "wes",
    "xin",
    "yara",
    "zoe",
    "aldo",
    "bea",
    "cyd",
    "dara",
    "emil",
    "fay",
    "gil",
    "ines",
    "jules",
    "kofi",
    "luz",
    "mei",
    "nils",
    "orla",
    "pablo",
    "rhea",
    "sven",
    "tomas",
    "uma",
    "vik",
    "wren",
    "yusuf",
]
SUFFIXES = ("", "_films", "watches", "_cine", "reels", "_m", "42", "_noir", "frames", "_k")

COLLECTIONS = [
    ("Films about talking", "Two people, one room, and a lot of words.", {"names": ["Interview"]}),
    ("Essential 1970s", "The decade that reinvented American cinema.", {"years": (1970, 1979)}),
    (
        "Animation for grown-ups",
        "Drawn, modelled or stop-motion, never only for kids.",
        {"genre": "Animation"},
    ),
    ("Late-night horror", "Watch with the lights on.", {"genre": "Horror"}),
    ("Before 1960", "Where it all started.", {"years": (1900, 1959)}),
    ("Crime, mostly", "Heists, detectives and bad decisions.", {"genre": "Crime"}),
    ("Documentaries that stuck with me", "True stories, well told.", {"genre": "Documentary"}),
    ("Comfort films", "For a rainy Sunday.", {"genre": "Comedy"}),
]


def read_films() -> list[dict]:
    with FILMS_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def member_names(count: int = USER_COUNT) -> list[str]:
    return [f"{first}{suffix}" for suffix in SUFFIXES for first in FIRST_NAMES][:count]


def draw_taste(rng: random.Random, habit_weights: list[float]) -> tuple[str, Habit]:
    """A demo member's taste cluster and rating habit (two draws, in this order)."""
    cluster = rng.choice(sorted(CLUSTERS))
    return cluster, rng.choices(HABITS, weights=habit_weights)[0]


def demo_clusters(count: int = USER_COUNT) -> dict[str, str]:
    """{username: taste cluster} of the demo members, replaying the seed's first draws
    (``bench/recommendations.py`` compares members of opposite tastes with it)."""
    rng = random.Random(SEED)
    weights = [h.weight for h in HABITS]
    return {name: draw_taste(rng, weights)[0] for name in member_names(count)}


ANALYZE_SQL = "ANALYZE"


class Command(BaseCommand):
    help = "Load the deterministic demo data set (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the catalog has any title."
        )
        parser.add_argument(
            "--no-posters",
            action="store_true",
            help="Queue no posters (the worker draws them otherwise; faster, for tests).",
        )
        parser.add_argument("--users", type=int, default=USER_COUNT)

    def handle(self, *args, if_empty: bool, no_posters: bool, users: int, **options):
        if if_empty and Title.objects.exists():
            self.stdout.write("The catalog is not empty: demo data not loaded.")
            return
        rng = random.Random(SEED)
        started = time.monotonic()

        def report(message: str) -> None:
            self.stdout.write(f"{message} ({time.monotonic() - started:.1f} s)")

        titles = self.load_titles(read_films())
        report(f"Titles: {len(titles)}")
        if not no_posters:
            missing = [title.pk for title in titles if not title.poster]
            tasks = queue_missing_posters(missing)
            report(f"Posters queued for the worker: {len(missing)} in {tasks} tasks")
        people = self.load_users(rng, users)
        created = self.load_ratings(rng, people, titles)
        report(f"Users: {len(people)}, ratings written: {created}")
        report(f"Collections created: {self.load_collections(rng, people, titles)}")
        report(f"Viewings, watchlist entries: {load_library([u for u, *_ in people], titles)}")
        report("Follows and likes created: {}, {}".format(*seed_social(people)))
        self.load_admin()
        report(f"Reports for the moderation queue: {self.load_reports(people)}")
        # Fresh planner statistics for the tables just filled: queries over them (the
        # rebuild's first) otherwise plan for the sizes autovacuum saw before, which on a
        # database that was empty can mean a nested loop over 20,000 ratings.
        with connection.cursor() as cursor:
            cursor.execute(ANALYZE_SQL)
        # Every taste table at once (taste factors included, which the worker's per-member
        # refreshes only fit one side at a time); the queued refreshes are then covered.
        counts = rebuild_taste()
        report(f"Taste: {counts['pairs']} compatible pairs, {counts['predictions']} PSIs")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    # Catalog -------------------------------------------------------------------------

    @transaction.atomic
    def load_titles(self, films: list[dict]) -> list[Title]:
        genres = {g.name: g for g in Genre.objects.all()}
        people = {p.name: p for p in Person.objects.all()}
        existing = {(t.name, t.year): t for t in Title.objects.all()}
        titles = []
        for film in films:
            key = (film["name"], int(film["year"]))
            title = existing.get(key)
            if title is None:
                title = Title.objects.create(
                    name=film["name"],
                    original_name=film["original_name"],
                    year=int(film["year"]),
                    runtime_minutes=int(film["runtime_minutes"]),
                    synopsis=film["synopsis"],
                    imdb_id=film["imdb_id"] or None,
                )
                for name in split(film["genres"]):
                    if name not in genres:
                        genres[name] = Genre.objects.create(name=name, slug=slugify(name))
                    title.genres.add(genres[name])
                credits = [(n, CreditRole.DIRECTOR) for n in split(film["directors"])]
                credits += [(n, CreditRole.CAST) for n in split(film["cast"])]
                for order, (name, role) in enumerate(credits):
                    if name not in people:
                        people[name] = Person.objects.create(name=name)
                    Credit.objects.get_or_create(
                        title=title, person=people[name], role=role, defaults={"order": order}
                    )
                WatchLink.objects.create(
                    title=title,
                    provider="JustWatch",
                    url=f"https://www.justwatch.com/us/search?q={quote_plus(title.name)}",
                    kind=WatchKind.STREAM,
                )
            titles.append(title)
        return titles

    # People and ratings --------------------------------------------------------------

    @transaction.atomic
    def load_users(self, rng: random.Random, count: int) -> list[tuple[User, str, Habit]]:
        names = member_names(count)
        words = random.Random(SEED + 1)  # bios and join dates: their own stream
        password = make_password(DEMO_PASSWORD)  # one hash for all: hashing 200 is slow
        existing = {u.username: u for u in User.objects.filter(username__in=names)}
        habit_weights = [h.weight for h in HABITS]
        people = []
        for name in names:
            cluster, habit = draw_taste(rng, habit_weights)
            scale = RatingScale.TEN if habit.name == "out of ten" else RatingScale.HUNDRED
            # Joined some time before their first rating (ratings are dated from then on).
            joined = JOIN_FROM + timedelta(days=words.randrange(JOIN_DAYS))
            bio = bio_for(words, cluster, habit.name)
            user = existing.get(name)
            if user is None:
                user = User.objects.create(
                    username=name,
                    email=f"{name}@example.com",
                    password=password,
                    display_name=name.replace("_", " ").title(),
                    bio=bio,
                    rating_scale=scale,
                    date_joined=joined,
                )
            people.append((user, cluster, habit))
        return people

    def load_ratings(self, rng: random.Random, people, titles: list[Title]) -> int:
        genre_names = {t.pk: [g.name for g in t.genres.all()] for t in titles}
        facts = self.film_facts(titles, genre_names)
        words = random.Random(SEED + 2)  # the reviews' own stream
        writer = ReviewWriter()
        # Latent quality and popularity per title (fixed by the seed and list order).
        quality = {t.pk: rng.gauss(0, 0.8) for t in titles}
        popularity = [1.0 / (1 + i) ** 0.35 for i in range(len(titles))]
        order = list(titles)
        rng.shuffle(order)
        already_rated = set(
            User.objects.filter(pk__in=[u.pk for u, _, _ in people], ratings__isnull=False)
            .values_list("pk", flat=True)
            .distinct()
        )
        written = 0
        for user, cluster, habit in people:
            # Draw every user's choices even when skipping, so the data stays identical.
            count = min(len(titles), int(rng.lognormvariate(4.35, 0.55)) + 15)
            chosen = self.sample_titles(rng, order, popularity, count)
            bias = rng.gauss(0, 0.3)
            entries = []
            for title in chosen:
                liking = (
                    quality[title.pk]
                    + sum(CLUSTERS[cluster].get(g, 0.0) for g in genre_names[title.pk]) * 0.6
                    + bias
                    + rng.gauss(0, 0.55)
                )
                score = self.score_for(habit, liking)
                review = self.review_for(words, writer, facts[title.pk], score, habit)
                entries.append(
                    RatingInput(
                        title_id=title.pk,
                        score=score,
                        review=review,
                        rated_at=self.rated_at(rng, title, user.date_joined),
                    )
                )
            if user.pk not in already_rated:
                written += rate_many(user, entries)
                # rate_many stamps updated_at with now; the hourly review limit reads it,
                # so demo members would be blocked for an hour. Spread it like rated_at.
                Rating.objects.filter(user=user).update(updated_at=F("rated_at"))
        return written

    @staticmethod
    def sample_titles(rng, order, popularity, count) -> list[Title]:
        """Weighted sample without replacement: popular titles are rated more often."""
        keyed = sorted(
            zip(order, popularity, strict=True),
            key=lambda pair: -math.log(1 - rng.random()) / pair[1],
        )
        return [title for title, _ in keyed[:count]]

    @staticmethod
    def score_for(habit: Habit, liking: float) -> int:
        raw = habit.centre + habit.spread * liking
        stepped = round(raw / habit.step) * habit.step
        return max(habit.low, min(habit.high, int(stepped)))

    @staticmethod
    def film_facts(titles: list[Title], genre_names: dict[int, list[str]]) -> dict[int, FilmFacts]:
        people: dict[int, dict[str, list[str]]] = {}
        credits = Credit.objects.filter(title__in=titles).select_related("person")
        for credit in credits.order_by("title_id", "order", "pk"):
            roles = people.setdefault(credit.title_id, {"directors": [], "cast": []})
            key = "directors" if credit.role == CreditRole.DIRECTOR else "cast"
            roles[key].append(credit.person.name)
        return {
            t.pk: FilmFacts(
                t.name,
                t.year,
                genre_names[t.pk],
                people.get(t.pk, {}).get("directors", []),
                people.get(t.pk, {}).get("cast", []),
                t.runtime_minutes,
            )
            for t in titles
        }

    @staticmethod
    def review_for(words, writer: ReviewWriter, film: FilmFacts, score: int, habit: Habit) -> str:
        if words.random() > 0.14:
            return ""
        position = (score - habit.low) / max(1, habit.high - habit.low)
        band = "high" if position >= 0.7 else "low" if position < 0.4 else "mid"
        return writer.review(words, film, band)

    @staticmethod
    def rated_at(rng, title: Title, joined: datetime) -> datetime:
        start = max(joined, datetime(title.year or 2006, 1, 1, tzinfo=UTC))
        end = datetime(2026, 11, 1, tzinfo=UTC)
        if start >= end:
            start = end - timedelta(days=30)
        seconds = int((end - start).total_seconds())
        return start + timedelta(seconds=rng.randrange(seconds))

    # Collections and staff -----------------------------------------------------------

    def load_collections(self, rng: random.Random, people, titles: list[Title]) -> int:
        by_genre: dict[str, list[Title]] = {}
        for title in titles:
            for genre in title.genres.all():
                by_genre.setdefault(genre.name, []).append(title)
        made = 0
        for index, (name, description, rule) in enumerate(COLLECTIONS):
            owner = people[(index * 17) % len(people)][0]
            if "names" in rule:
                members = [t for t in titles if t.name in rule["names"]]
                members += [t for t in titles if t.runtime_minutes and t.runtime_minutes < 90][:10]
            elif "years" in rule:
                low, high = rule["years"]
                members = [t for t in titles if t.year and low <= t.year <= high]
            else:
                members = list(by_genre.get(rule["genre"], []))
            members = members[:25]
            rng.shuffle(members)
            if not members or Collection.objects.filter(owner=owner, name=name).exists():
                continue
            collection = collection_create(owner, name, description=description, is_public=True)
            for title in members:
                collection_add_title(collection, title)
            made += 1
        return made

    def load_reports(self, people) -> int:
        """A few open reports, so the moderation queue has something in it."""
        if Report.objects.exists():
            return 0
        reviews = list(
            Rating.objects.with_review().select_related("user", "title").order_by("pk")[:40:10]
        )
        reasons = [Reason.SPOILERS, Reason.SPAM, Reason.OTHER, Reason.SPOILERS]
        made = 0
        for index, (rating, reason) in enumerate(zip(reviews, reasons, strict=False)):
            reporter = people[(index * 31 + 7) % len(people)][0]
            if reporter.pk == rating.user_id:
                continue
            details = "Gives away the ending." if reason == Reason.SPOILERS else ""
            if reason == Reason.OTHER:
                details = "Not about this film at all."
            report_item(reporter, target_for(rating), reason, details)
            made += 1
        return made

    def load_admin(self) -> None:
        """A superuser and a moderator, to try the admin and the moderation queue."""
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        if not User.objects.filter(username="moderator").exists():
            moderator = User.objects.create_user(
                "moderator", "moderator@example.com", DEMO_PASSWORD, display_name="Moderator"
            )
            grant_moderator(moderator)

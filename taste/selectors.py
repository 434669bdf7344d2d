"""Reads of taste: probable scores (PSI) and their explanation, compatibility (TCI),
soulmates, recommendations, similar titles and prediction accuracy.

A PSI is computed live from the precomputed TCI table, the title's percentile
aggregate and the viewer's own scores (``taste.engine``), so the number on the title
page and its explanation page always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least

from catalog.models import Credit, CreditRole, Title, TitleStats
from catalog.selectors import MAIN_CAST
from ratings.models import Rating
from taste import engine, model
from taste.models import (
    Compatibility,
    FallbackPosition,
    Prediction,
    ShownPrediction,
    TasteProfile,
    TitleSimilarity,
)
from taste.queries import RATINGS, OwnScores, own_scores, predict_titles

TITLES = Title._meta.db_table
# The rating aggregates (ratings_count) live in the side table.
TITLE_STATS = TitleStats._meta.db_table
TITLE_GENRES = Title.genres.through._meta.db_table
CREDITS = Credit._meta.db_table
SHOWN = ShownPrediction._meta.db_table

# Why there is no number ("?").
SIGNED_OUT = "signed_out"
FEW_RATINGS = "few_ratings"
NO_PERCENTILES = "no_percentiles"
NO_NEIGHBOURS = "no_neighbours"
NOT_COMPUTED = "not_computed"
OK = "ok"


@dataclass
class ProbableScore:
    """A user's PSI for a title, or the reason there is none."""

    status: str
    title: Title | None
    prediction: engine.Prediction | None = None
    own: OwnScores | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def score(self) -> float | None:
        """The PSI on 0-100, before rounding."""
        return None if self.prediction is None else self.prediction.score

    @property
    def rounded(self) -> int | None:
        return None if self.score is None else engine.rounded(self.score)

    @property
    def low(self) -> int | None:
        """Lower end of the range ("likely 70-85"), rounded like the PSI."""
        return None if self.prediction is None else engine.rounded(self.prediction.low)

    @property
    def high(self) -> int | None:
        return None if self.prediction is None else engine.rounded(self.prediction.high)

    @property
    def reason(self) -> str:
        own = self.own
        if self.status == SIGNED_OUT:
            return "Sign in and rate at least 10 titles to get a probable score."
        if self.status == FEW_RATINGS:
            missing = engine.MIN_RATINGS - (own.ratings_count if own else 0)
            return (
                f"Rate {missing} more title{'s' if missing != 1 else ''} to get probable "
                f"scores: they need at least {engine.MIN_RATINGS} ratings."
            )
        if self.status == NO_PERCENTILES:
            return (
                "All your ratings have the same score, so they say nothing about what you "
                "prefer: use more of your scale."
            )
        if self.status == NOT_COMPUTED:
            return "Your compatibility with other raters is being computed: check back soon."
        if self.status == NO_NEIGHBOURS:
            if not self.title.ratings_count:
                return "Nobody has rated this title yet."
            return (
                "Nobody whose scores say what they prefer has rated this title yet, or "
                "its ratings are still being taken into account."
            )
        return ""


def _status_for(own: OwnScores, computed: bool = True) -> str | None:
    if own.ratings_count < engine.MIN_RATINGS:
        return FEW_RATINGS
    if own.distinct_scores < engine.MIN_POSITION_SCORES:
        return NO_PERCENTILES
    if computed and own.user_offset is None:
        return NOT_COMPUTED
    return None


def psi_blocker(user) -> ProbableScore | None:
    """Why the user cannot have any PSI yet (few ratings, no percentiles), or None
    (also while their taste is being computed: the caller queues that)."""
    if not user.is_authenticated:
        return ProbableScore(SIGNED_OUT, None)
    own = own_scores(user.pk)
    status = _status_for(own, computed=False)
    return ProbableScore(status, None, own=own) if status else None


def probable_score(user, title: Title, own: OwnScores | None = None) -> ProbableScore:
    """The viewer's PSI for a title: two queries (their scores and offset, the terms)."""
    if not user.is_authenticated:
        return ProbableScore(SIGNED_OUT, title)
    return probable_scores(user, [title], own=own)[title.pk]


def probable_scores(
    user, titles: list[Title], own: OwnScores | None = None
) -> dict[int, ProbableScore]:
    """PSIs of many titles at once (browse lists, collections): two queries in all."""
    if not user.is_authenticated or not titles:
        return {}
    own = own or own_scores(user.pk)
    status = _status_for(own)
    if status:
        return {t.pk: ProbableScore(status, t, own=own) for t in titles}
    found = predict_titles(user.pk, [t.pk for t in titles], own=own)
    return {
        t.pk: ProbableScore(OK, t, prediction=found[t.pk], own=own)
        if t.pk in found
        else ProbableScore(NO_NEIGHBOURS, t, own=own)
        for t in titles
    }


def shown_prediction(user, title: Title) -> ShownPrediction | None:
    """The PSI the user was last shown for this title before rating it."""
    if not user.is_authenticated:
        return None
    return ShownPrediction.objects.filter(user=user, title=title).first()


# Explanation of a PSI --------------------------------------------------------------


@dataclass
class ExplainedNeighbour:
    user: object
    neighbour: engine.Neighbour
    is_position: bool = False  # a fallback position, not a percentile
    # False when the rater hides their ratings from the viewer (User.visibility): their
    # numbers still explain the PSI, their name is not shown.
    shown: bool = True

    @property
    def weighted_residual(self) -> float:
        return self.neighbour.agreement * self.neighbour.residual


@dataclass
class ExplainedSimilar:
    title: Title
    similar: engine.SimilarRated

    @property
    def weighted_residual(self) -> float:
        return self.similar.agreement * self.similar.residual


@dataclass(frozen=True)
class ScaleRead:
    """One reading of your scale: L(at), between corners (p1, s1) and (p2, s2)."""

    weight: float
    at: float
    p1: float
    s1: float
    p2: float
    s2: float
    value: float

    @property
    def flat(self) -> bool:
        return self.p1 == self.p2


@dataclass
class PsiExplanation:
    probable: ProbableScore
    neighbours: list[ExplainedNeighbour] = field(default_factory=list)
    similar: list[ExplainedSimilar] = field(default_factory=list)
    scale: engine.Scale | None = None
    reads: list[ScaleRead] = field(default_factory=list)  # q - h, q, q + h
    range_reads: list[ScaleRead] = field(default_factory=list)  # q - s, q + s
    parameters: dict = field(default_factory=dict)

    @property
    def has_positions(self) -> bool:
        return any(n.is_position for n in self.neighbours)

    @property
    def scale_points(self) -> list[tuple[float, float]]:
        return list(zip(self.scale.percentiles, self.scale.scores, strict=True))


def _read(scale: engine.Scale, at: float, weight: float = 1.0) -> ScaleRead:
    i, j = scale.segment(at)
    p, s = scale.percentiles, scale.scores
    return ScaleRead(weight, at, p[i], s[i], p[j], s[j], scale.line(at))


def psi_explanation(user, title: Title) -> PsiExplanation:
    """Everything that produced the viewer's PSI for a title, for its explanation page."""
    probable = probable_score(user, title)
    explanation = PsiExplanation(
        probable=probable,
        parameters={
            "middle": engine.MIDDLE,
            "neighbours": engine.NEIGHBOURS,
            "neighbour_shrink": engine.NEIGHBOUR_SHRINK,
            "similar_titles": engine.SIMILAR_TITLES,
            "similar_shrink": engine.SIMILAR_SHRINK,
            "title_shrink": model.TITLE_SHRINK,
            "user_shrink": model.USER_SHRINK,
            "agreement_shrink": model.AGREEMENT_SHRINK,
            "factors": model.FACTORS,
            "factor_shrink": model.FACTOR_SHRINK,
            "smoothing": engine.SMOOTHING,
            "spread_prior": engine.SPREAD_PRIOR,
            "spread_prior_weight": engine.SPREAD_PRIOR_WEIGHT,
            "rank_penalty": engine.RANK_PENALTY,
            "rank_shrink": engine.RANK_SHRINK,
            "min_ratings": engine.MIN_RATINGS,
        },
    )
    if not probable.ok:
        return explanation
    prediction = probable.prediction
    ids = [n.user_id for n in prediction.neighbours]
    users = get_user_model().objects.in_bulk(ids)
    positions = set(
        FallbackPosition.objects.filter(user_id__in=ids, title=title).values_list(
            "user_id", flat=True
        )
    )
    explanation.neighbours = [
        ExplainedNeighbour(
            users[n.user_id],
            n,
            n.user_id in positions,
            shown=users[n.user_id].is_visible_to(user),
        )
        for n in prediction.neighbours
        if n.user_id in users
    ]
    titles = Title.objects.in_bulk([s.title_id for s in prediction.similar])
    explanation.similar = [
        ExplainedSimilar(titles[s.title_id], s) for s in prediction.similar if s.title_id in titles
    ]
    scale = probable.own.scale
    q, h, spread = prediction.percentile, engine.SMOOTHING, prediction.spread
    explanation.scale = scale
    explanation.reads = [_read(scale, q - h, 0.25), _read(scale, q, 0.5), _read(scale, q + h, 0.25)]
    explanation.range_reads = [_read(scale, q - spread), _read(scale, q + spread)]
    return explanation


# Compatibility ---------------------------------------------------------------------


@dataclass
class Soulmate:
    user: object
    tci: float
    common_count: int
    tci_shrunk: float | None = None
    agreement: float | None = None

    @property
    def shrunk_tci(self) -> float:
        """The TCI the list is ranked by: shrunk towards 33.3 by the titles in common."""
        if self.tci_shrunk is not None:
            return self.tci_shrunk
        return engine.shrunk_tci(self.tci, self.common_count)


def soulmates_queryset(user) -> QuerySet[Compatibility]:
    """The user's compatibility rows, most compatible first: lowest TCI shrunk towards
    the unrelated 33.3 by the titles in common (3 shared at TCI 5 come after 30 at 8)."""
    rows = Compatibility.objects.filter(Q(user_a=user) | Q(user_b=user))
    if not user.is_staff:
        # The signed-in viewer sees everyone but those who keep their ratings to
        # themselves (User.visibility "private"): they are not listed at all.
        private = "private"
        rows = rows.exclude(Q(user_a=user) & Q(user_b__visibility=private)).exclude(
            Q(user_b=user) & Q(user_a__visibility=private)
        )
    return rows.select_related("user_a", "user_b").order_by("tci_shrunk", "-common_count", "pk")


def as_soulmates(user, rows) -> list[Soulmate]:
    return [
        Soulmate(
            row.user_b if row.user_a_id == user.pk else row.user_a,
            row.tci,
            row.common_count,
            row.tci_shrunk,
            row.agreement,
        )
        for row in rows
    ]


def user_soulmates(user, limit: int = 50) -> list[Soulmate]:
    """The user's most compatible raters (one query)."""
    return as_soulmates(user, soulmates_queryset(user)[:limit])


def tci_between(user, other) -> Compatibility | None:
    """The stored TCI of two users, or None when they are not (yet) compatible."""
    if user.pk == other.pk:
        return None
    a, b = sorted((user.pk, other.pk))
    return Compatibility.objects.filter(user_a_id=a, user_b_id=b).first()


def tcis_with(user, other_ids) -> dict[int, float]:
    """The viewer's TCI with each of these members who has one (one query)."""
    if not user.is_authenticated:
        return {}
    others = [pk for pk in set(other_ids) if pk != user.pk]
    if not others:
        return {}
    rows = Compatibility.objects.filter(
        Q(user_a_id=user.pk, user_b_id__in=others) | Q(user_b_id=user.pk, user_a_id__in=others)
    ).values_list("user_a_id", "user_b_id", "tci")
    return {(b if a == user.pk else a): tci for a, b, tci in rows}


def tci_annotation(user, user_field: str = "user_id") -> dict:
    """``rater_tci`` (the viewer's TCI with the row's member, NULL when none) and
    ``rater_rank`` (the shrunk TCI soulmates are ranked by, 100 when none) for a
    queryset of rows that have a member (`user_field`), read in the same query."""
    if not user.is_authenticated:
        none = Value(None, output_field=FloatField())
        return {"rater_tci": none, "rater_rank": Value(100.0, output_field=FloatField())}
    pair = Compatibility.objects.filter(
        user_a_id=Least(Value(user.pk), OuterRef(user_field)),
        user_b_id=Greatest(Value(user.pk), OuterRef(user_field)),
    )
    return {
        "rater_tci": Subquery(pair.values("tci")[:1], output_field=FloatField()),
        "rater_rank": Coalesce(
            Subquery(pair.values("tci_shrunk")[:1], output_field=FloatField()), 100.0
        ),
    }


def soulmate_ids(user, limit: int = 20) -> list[int]:
    """The ids of the viewer's `limit` most compatible members (one query)."""
    rows = soulmates_queryset(user).values_list("user_a_id", "user_b_id")[:limit]
    return [b if a == user.pk else a for a, b in rows]


@dataclass
class SharedTitle:
    title: Title
    my_score: int
    my_percentile: int
    their_score: int
    their_percentile: int

    @property
    def difference(self) -> int:
        return abs(self.my_percentile - self.their_percentile)


@dataclass
class TciExplanation:
    shared: list[SharedTitle]
    shared_without_positions: int
    my_ratings: int
    their_ratings: int
    my_percentiles: bool  # False: my positions are fallback positions
    their_percentiles: bool
    stored: Compatibility | None

    @property
    def common(self) -> int:
        return len(self.shared)

    @property
    def needed(self) -> int:
        return engine.min_common(self.my_ratings, self.their_ratings)

    @property
    def difference_sum(self) -> int:
        return sum(s.difference for s in self.shared)

    @property
    def tci(self) -> float | None:
        if not self.shared or self.common < self.needed:
            return None
        return self.difference_sum / self.common

    @property
    def shrunk_tci(self) -> float | None:
        """What soulmates are ranked by (``engine.shrunk_tci``)."""
        return None if self.tci is None else engine.shrunk_tci(self.tci, self.common)

    @property
    def shrink(self) -> float:
        return engine.TCI_SHRINK

    @property
    def unrelated(self) -> float:
        return engine.UNRELATED


def _positions(user) -> tuple[dict[int, tuple[int, int]], bool]:
    """{title id: (score, position)} of a user's ratings, and whether the positions are
    their stored percentiles (else fallback positions, or none for a single score)."""
    rows = list(Rating.objects.filter(user=user).values_list("title_id", "score", "percentile"))
    if rows and all(p is not None for _, _, p in rows):
        return {t: (score, p) for t, score, p in rows}, True
    places = engine.percentiles([score for _, score, _ in rows], engine.MIN_POSITION_SCORES)
    return {t: (score, p) for (t, score, _), p in zip(rows, places, strict=True)}, False


def tci_explanation(user, other) -> TciExplanation:
    """The titles two users both rated, with both percentiles (or fallback positions)
    and the differences whose mean is their TCI, from the ratings as they are now."""
    mine, my_percentiles = _positions(user)
    theirs, their_percentiles = _positions(other)
    both = set(mine) & set(theirs)
    titles = Title.objects.in_bulk(list(both))
    shared, without = [], 0
    for title_id in both:
        (my_score, my_place), (their_score, their_place) = mine[title_id], theirs[title_id]
        if my_place is None or their_place is None:
            without += 1
            continue
        shared.append(SharedTitle(titles[title_id], my_score, my_place, their_score, their_place))
    shared.sort(key=lambda s: (s.difference, s.title.name, s.title.pk))
    return TciExplanation(
        shared,
        without,
        len(mine),
        len(theirs),
        my_percentiles,
        their_percentiles,
        tci_between(user, other),
    )


# Recommendations -------------------------------------------------------------------


def recommendations(
    user,
    kind: str = "",
    genre: str = "",
    year_min: int | None = None,
    year_max: int | None = None,
) -> QuerySet[Prediction]:
    """Titles the user has not rated, highest rank key first (the PSI's percentile less a
    penalty for a wide range resting on few neighbours), optionally filtered."""
    rated = Rating.objects.filter(user=user, title=OuterRef("title"))
    qs = (
        Prediction.objects.filter(user=user)
        .exclude(Exists(rated))
        .select_related("title__stats")  # the cards show the aggregates
        .order_by("-rank_key", "-percentile", "title__name")
    )
    if kind:
        qs = qs.filter(title__kind=kind)
    if genre:
        qs = qs.filter(title__genres__slug=genre)
    if year_min is not None:
        qs = qs.filter(title__year__gte=year_min)
    if year_max is not None:
        qs = qs.filter(title__year__lte=year_max)
    return qs


def taste_profile(user) -> TasteProfile | None:
    return TasteProfile.objects.filter(user=user).first()


# Similar titles --------------------------------------------------------------------

# While a title has no precomputed co-rating neighbours (``TitleSimilarity``), a guess
# from what it shares with others: genres, directors/writers/main cast, and fans (those
# who rated it in their upper half, newest max_fans of them) who also liked the other.
# One query whatever the catalogue size; ranked by a weighted sum of the three.
SIMILAR_GUESS_SQL = f"""
WITH my_genres AS (
    SELECT genre_id FROM {TITLE_GENRES} WHERE title_id = %(title)s
), by_genre AS (
    SELECT tg.title_id, count(*) AS n
    FROM {TITLE_GENRES} tg JOIN my_genres USING (genre_id)
    WHERE tg.title_id <> %(title)s
    GROUP BY tg.title_id
), my_people AS (
    SELECT person_id FROM {CREDITS}
    WHERE title_id = %(title)s AND (role <> %(cast)s OR "order" < %(main_cast)s)
), by_people AS (
    SELECT c.title_id, count(DISTINCT c.person_id) AS n
    FROM {CREDITS} c JOIN my_people USING (person_id)
    WHERE c.title_id <> %(title)s
    GROUP BY c.title_id
), fans AS (
    SELECT user_id FROM {RATINGS}
    WHERE title_id = %(title)s AND coalesce(percentile, score) >= 50
    ORDER BY rated_at DESC LIMIT %(max_fans)s
), by_fans AS (
    SELECT r.title_id, count(*) AS n
    FROM {RATINGS} r JOIN fans USING (user_id)
    WHERE r.title_id <> %(title)s AND coalesce(r.percentile, r.score) >= 50
    GROUP BY r.title_id
), scored AS (
    SELECT title_id,
           coalesce(by_genre.n, 0) AS genres,
           coalesce(by_people.n, 0) AS people,
           coalesce(by_fans.n, 0) AS fans
    FROM by_genre FULL JOIN by_people USING (title_id) FULL JOIN by_fans USING (title_id)
)
SELECT s.title_id, s.genres, s.people, s.fans
FROM scored s JOIN {TITLES} t ON t.id = s.title_id
LEFT JOIN {TITLE_STATS} st ON st.title_id = t.id
ORDER BY 1.0 * s.genres / greatest(1, (SELECT count(*) FROM my_genres))
         + 1.5 * s.people + 2.0 * ln(1 + s.fans) DESC,
         coalesce(st.ratings_count, 0) DESC, t.id
LIMIT %(limit)s
"""


# A similar title is listed on the title page when at least this many raters rated both
# (the similar-titles term of a PSI uses pairs from engine.SIMILAR_MIN_COMMON up).
SHOWN_SIMILAR_MIN_COMMON = 5


@dataclass
class SimilarTitle:
    """A title like another and why. The numbers are those of a precomputed co-rating
    row (``TitleSimilarity``); a guess from shared traits has reasons only."""

    title: Title
    reasons: list[str]
    score: float | None = None
    mean_difference: float | None = None
    common_count: int | None = None


def _co_rating_reasons(common_count: int, mean_difference: float) -> list[str]:
    return [
        f"{common_count} raters in common",
        f"placed {mean_difference:.1f} percentiles apart on average",
    ]


def _shared_reasons(genres: int, people: int, fans: int) -> list[str]:
    reasons = []
    if people:
        reasons.append(f"{people} shared {'person' if people == 1 else 'people'}")
    if genres:
        reasons.append(f"{genres} shared genre{'s' if genres > 1 else ''}")
    if fans:
        reasons.append(f"liked by {fans} of its fans")
    return reasons


def similar_titles(title: Title, limit: int = 12) -> list[SimilarTitle]:
    """Titles whose raters say the same about them beyond the offsets (precomputed; one
    query), or, while the title has none, the guess of ``similar_titles_guess`` (two
    more queries)."""
    rows = (
        TitleSimilarity.objects.filter(title=title, common_count__gte=SHOWN_SIMILAR_MIN_COMMON)
        .select_related("similar__stats")  # the cards show the aggregates
        .order_by("-score", "similar_id")[:limit]
    )
    found = [
        SimilarTitle(
            r.similar,
            _co_rating_reasons(r.common_count, r.mean_difference),
            r.score,
            r.mean_difference,
            r.common_count,
        )
        for r in rows
    ]
    return found or similar_titles_guess(title, limit)


def similar_titles_guess(title: Title, limit: int = 12, max_fans: int = 500) -> list[SimilarTitle]:
    """Titles like this one: shared genres, shared directors/writers/main cast, and
    co-ratings (titles its fans, those who rated it in their upper half, also liked).
    Two queries whatever the catalogue size."""
    with connection.cursor() as cursor:
        cursor.execute(
            SIMILAR_GUESS_SQL,
            {
                "title": title.pk,
                "cast": CreditRole.CAST.value,
                "main_cast": MAIN_CAST,
                "max_fans": max_fans,
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    titles = Title.objects.in_bulk([row[0] for row in rows])
    return [
        SimilarTitle(titles[pk], _shared_reasons(genres, people, fans))
        for pk, genres, people, fans in rows
        if pk in titles
    ]


# Prediction accuracy ---------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    count: int
    mean_difference: float | None
    within_5: float | None
    within_10: float | None


# The PSIs a user was shown against the scores they then gave, on the 0-100 scale
# (rounded as shown), aggregated in the database: one row whatever the history.
PREDICTION_ACCURACY_SQL = f"""
SELECT count(*), avg(abs(round(s.score) - r.score)),
       avg(CASE WHEN abs(round(s.score) - r.score) <= 5 THEN 1.0 ELSE 0.0 END),
       avg(CASE WHEN abs(round(s.score) - r.score) <= 10 THEN 1.0 ELSE 0.0 END)
  FROM {SHOWN} AS s
  JOIN {RATINGS} AS r ON r.user_id = s.user_id AND r.title_id = s.title_id
 WHERE s.user_id = %s
"""


def prediction_accuracy(user) -> Accuracy:
    """How close the PSIs a user was shown came to the scores they then gave (0-100
    points): mean absolute difference and share within 5 and 10 points (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(PREDICTION_ACCURACY_SQL, [user.pk])
        count, mean, within_5, within_10 = cursor.fetchone()
    return Accuracy(
        count,
        None if mean is None else float(mean),
        None if within_5 is None else float(within_5),
        None if within_10 is None else float(within_10),
    )

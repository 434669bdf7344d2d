"""ratings_rate(): ratings.services.rate() in one round trip.

One call locks the member, writes the rating, rewrites the percentiles that move and
adjusts the titles' aggregates (catalog_titlestats), returning the rating's fields, the
rated title's new aggregate and the ids of the titles written (for the section cache).

Which percentiles can move (see DESIGN.md, "Ratings and percentiles"):

- a score change of an existing rating keeps n; a rating scored below both the old and
  the new score, or above both, keeps its below and equal counts, so only the ratings
  scored between the two (both included) can change. One UPDATE writes the new score
  and those percentiles, from the member's score groups read once from the (user,
  score) index and corrected for the change;
- unless the member's number of distinct scores crosses MIN_DISTINCT_SCORES (5) with the
  change (every percentile appears or disappears): then the same statement covers
  every score;
- a new rating changes n: it is inserted with its percentile, then every other
  percentile of the member that moved is rewritten.

The new percentile of each score is computed once in PL/pgSQL, from the member's number
of ratings per score read from the (user, score) index, and looked up in an array by
the statements: a join to a computed table, planned generically after five calls (the
plan cache), was nested inside the ratings scan and recomputed per row.

The aggregate deltas are summed per title and applied in the same statement, the
titles' rows locked first in id order (as ratings.services does), so concurrent raters
never deadlock. Kept equal to ratings.services' rules; tests/ratings compare the result
with a full recompute.
"""

from django.db import migrations

# The deltas of the rows in ``written`` (title_id, old, new), plus the rated title's
# count; applied to the locked stats rows; the ids of every title written, for the cache.
_APPLY_DELTAS = """
    deltas AS (
        SELECT title_id, sum(dsum)::bigint AS dsum, sum(dknown)::integer AS dknown,
               sum(dcount)::integer AS dcount
          FROM (SELECT w.title_id, coalesce(w.new, 0) - coalesce(w.old, 0) AS dsum,
                       (w.new IS NOT NULL)::integer - (w.old IS NOT NULL)::integer AS dknown,
                       0 AS dcount
                  FROM written AS w
                 UNION ALL
                SELECT p_title, 0, 0, v_count_delta) AS x
         GROUP BY title_id
    ), locked AS (
        SELECT s.title_id FROM catalog_titlestats AS s
         WHERE s.title_id IN (SELECT d.title_id FROM deltas AS d
                               WHERE d.dsum <> 0 OR d.dknown <> 0 OR d.dcount <> 0)
         ORDER BY s.title_id
           FOR NO KEY UPDATE
    ), applied AS (
        UPDATE catalog_titlestats AS s
           SET ratings_count = s.ratings_count + d.dcount,
               percentile_sum = s.percentile_sum + d.dsum,
               percentile_count = s.percentile_count + d.dknown
          FROM locked AS l JOIN deltas AS d ON d.title_id = l.title_id
         WHERE s.title_id = l.title_id
    )
"""

FORWARD = f"""
CREATE FUNCTION ratings_rate(
    p_user bigint, p_title bigint, p_score smallint, p_review text,
    p_rated_at timestamptz, p_now timestamptz
) RETURNS TABLE (
    o_id bigint, o_score smallint, o_percentile smallint, o_review text,
    o_rated_at timestamptz, o_updated_at timestamptz, o_review_hidden boolean,
    o_inserted boolean, o_ratings_count integer, o_percentile_sum bigint,
    o_percentile_count integer, o_avg_percentile double precision, o_changed bigint[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_old smallint;
    v_counts integer[];
    v_news smallint[] := array_fill(NULL::smallint, ARRAY[101]);
    v_n bigint := 0;
    v_cum bigint := 0;
    v_before integer := 0;
    v_after integer := 0;
    v_low smallint := 0;
    v_high smallint := 100;
    v_count_delta integer := 0;
    i integer;
BEGIN
    -- Serialises this member's rating writes (FOR NO KEY UPDATE does not block rows
    -- that reference the member through a foreign key).
    PERFORM 1 FROM accounts_user WHERE id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT r.score INTO v_old FROM ratings_rating AS r
     WHERE r.user_id = p_user AND r.title_id = p_title;
    o_inserted := NOT FOUND;

    -- The member's number of ratings per score 0..100 before the write (an index-only
    -- scan of the (user, score) index), then after it; the new percentile of every
    -- score (NULL below five distinct scores), looked up by score + 1 in the
    -- statements below, so that no plan joins the ratings to a computed table.
    SELECT array_agg(coalesce(g.equal, 0) ORDER BY s.score) INTO v_counts
      FROM generate_series(0, 100) AS s(score)
      LEFT JOIN (SELECT r.score, count(*)::integer AS equal FROM ratings_rating AS r
                  WHERE r.user_id = p_user GROUP BY r.score) AS g ON g.score = s.score;
    FOR i IN 1..101 LOOP
        IF v_counts[i] > 0 THEN
            v_before := v_before + 1;
        END IF;
    END LOOP;
    IF NOT o_inserted THEN
        v_counts[v_old + 1] := v_counts[v_old + 1] - 1;
    END IF;
    v_counts[p_score + 1] := v_counts[p_score + 1] + 1;
    FOR i IN 1..101 LOOP
        IF v_counts[i] > 0 THEN
            v_after := v_after + 1;
            v_n := v_n + v_counts[i];
        END IF;
    END LOOP;
    IF v_after >= 5 THEN
        FOR i IN 1..101 LOOP
            IF v_counts[i] > 0 THEN
                v_news[i] := ((200 * v_cum + 100 * v_counts[i]) / (2 * v_n))::smallint;
                v_cum := v_cum + v_counts[i];
            END IF;
        END LOOP;
    END IF;

    IF NOT o_inserted THEN
        -- n is unchanged: only the ratings scored between the old and the new score can
        -- move, unless the number of distinct scores crosses five (every percentile
        -- appears or disappears: all of them). One statement writes the rating, the
        -- percentiles that moved and the titles' aggregates.
        IF (v_before >= 5) = (v_after >= 5) THEN
            v_low := least(v_old, p_score);
            v_high := greatest(v_old, p_score);
        END IF;
        WITH written AS (
            UPDATE ratings_rating AS r
               SET percentile = b.new,
                   score = CASE WHEN b.moved THEN p_score ELSE r.score END,
                   review = CASE WHEN b.moved THEN p_review ELSE r.review END,
                   rated_at = CASE WHEN b.moved THEN coalesce(p_rated_at, r.rated_at)
                                   ELSE r.rated_at END,
                   updated_at = CASE WHEN b.moved THEN p_now ELSE r.updated_at END
              FROM (SELECT r2.id, r2.title_id, r2.percentile AS old,
                           v_news[CASE WHEN r2.title_id = p_title THEN p_score
                                       ELSE r2.score END + 1] AS new,
                           r2.title_id = p_title AS moved
                      FROM ratings_rating AS r2
                     WHERE r2.user_id = p_user AND r2.score BETWEEN v_low AND v_high) AS b
             WHERE r.id = b.id AND (b.moved OR b.old IS DISTINCT FROM b.new)
            RETURNING r.id, r.title_id, r.score, r.percentile, r.review, r.rated_at,
                      r.updated_at, r.review_hidden, b.old, b.new, b.moved
        ), {_APPLY_DELTAS}
        SELECT w.id, w.score, w.percentile, w.review, w.rated_at, w.updated_at,
               w.review_hidden, (SELECT array_agg(d.title_id) FROM deltas AS d)
          INTO o_id, o_score, o_percentile, o_review, o_rated_at, o_updated_at,
               o_review_hidden, o_changed
          FROM written AS w
         WHERE w.moved;
    ELSE
        -- A new rating changes n: it is inserted with its percentile, then every other
        -- percentile of the member that moved is rewritten.
        INSERT INTO ratings_rating AS r
               (user_id, title_id, score, percentile, review, rated_at, updated_at,
                review_hidden)
        VALUES (p_user, p_title, p_score, v_news[p_score + 1], p_review,
                coalesce(p_rated_at, p_now), p_now, false)
        RETURNING r.id, r.score, r.percentile, r.review, r.rated_at, r.updated_at,
                  r.review_hidden
             INTO o_id, o_score, o_percentile, o_review, o_rated_at, o_updated_at,
                  o_review_hidden;
        v_count_delta := 1;
        WITH rewritten AS (
            UPDATE ratings_rating AS r
               SET percentile = f.new
              FROM (SELECT r2.id, r2.title_id, r2.percentile AS old,
                           v_news[r2.score + 1] AS new
                      FROM ratings_rating AS r2
                     WHERE r2.user_id = p_user AND r2.id <> o_id) AS f
             WHERE r.id = f.id AND f.old IS DISTINCT FROM f.new
            RETURNING r.title_id, f.old, f.new
        ), written AS (
            SELECT w.title_id, w.old, w.new FROM rewritten AS w
             UNION ALL
            SELECT p_title, NULL::smallint, o_percentile
        ), {_APPLY_DELTAS}
        SELECT (SELECT array_agg(d.title_id) FROM deltas AS d) INTO o_changed;
    END IF;

    -- The rated title's aggregate as this write left it (0 and NULL without a row).
    SELECT s.ratings_count, s.percentile_sum, s.percentile_count, s.avg_percentile
      INTO o_ratings_count, o_percentile_sum, o_percentile_count, o_avg_percentile
      FROM catalog_titlestats AS s WHERE s.title_id = p_title;
    o_ratings_count := coalesce(o_ratings_count, 0);
    o_percentile_sum := coalesce(o_percentile_sum, 0);
    o_percentile_count := coalesce(o_percentile_count, 0);
    RETURN NEXT;
END
$$;
"""

BACKWARD = """
DROP FUNCTION ratings_rate(bigint, bigint, smallint, text, timestamptz, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0002_drop_single_column_user_title_indexes"),
        ("catalog", "0005_title_stats"),
        ("accounts", "0006_user_watchlist_public"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

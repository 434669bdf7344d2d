"""Triggers on the ratings table that append to taste_tastechange.

Statement-level, with transition tables: one INSERT per statement whatever the number
of rows, and no row locks (the log is append-only), so rating writes never wait on the
taste tables. Users are logged for every change (their percentiles and so their TCIs
move); titles only when a score appears, disappears or changes (a percentile shift of
the rater's other titles does not make their similar titles worth recomputing).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION taste_log_rating_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO taste_tastechange (kind, object_id, changed_at)
    SELECT 'user', user_id, now() FROM (SELECT DISTINCT user_id FROM new_rows) AS u
    UNION ALL
    SELECT 'title', title_id, now() FROM (SELECT DISTINCT title_id FROM new_rows) AS t;
    RETURN NULL;
END $$;

CREATE FUNCTION taste_log_rating_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO taste_tastechange (kind, object_id, changed_at)
    SELECT 'user', user_id, now() FROM (SELECT DISTINCT user_id FROM new_rows) AS u
    UNION ALL
    SELECT 'title', title_id, now() FROM (
        SELECT DISTINCT n.title_id FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
         WHERE o.score IS DISTINCT FROM n.score OR o.title_id IS DISTINCT FROM n.title_id
    ) AS t;
    RETURN NULL;
END $$;

CREATE FUNCTION taste_log_rating_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO taste_tastechange (kind, object_id, changed_at)
    SELECT 'user', user_id, now() FROM (SELECT DISTINCT user_id FROM old_rows) AS u
    UNION ALL
    SELECT 'title', title_id, now() FROM (SELECT DISTINCT title_id FROM old_rows) AS t;
    RETURN NULL;
END $$;

CREATE TRIGGER taste_rating_insert AFTER INSERT ON ratings_rating
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION taste_log_rating_insert();
CREATE TRIGGER taste_rating_update AFTER UPDATE ON ratings_rating
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION taste_log_rating_update();
CREATE TRIGGER taste_rating_delete AFTER DELETE ON ratings_rating
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION taste_log_rating_delete();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS taste_rating_insert ON ratings_rating;
DROP TRIGGER IF EXISTS taste_rating_update ON ratings_rating;
DROP TRIGGER IF EXISTS taste_rating_delete ON ratings_rating;
DROP FUNCTION IF EXISTS taste_log_rating_insert();
DROP FUNCTION IF EXISTS taste_log_rating_update();
DROP FUNCTION IF EXISTS taste_log_rating_delete();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("taste", "0001_initial"),
        ("ratings", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

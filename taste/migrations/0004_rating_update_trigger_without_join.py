"""The update trigger finds changed scores with EXCEPT instead of a join.

Transition tables have no statistics, so the planner joined old_rows and new_rows
with a nested loop: a percentile recompute touching 10,000 ratings spent 5 s in the
trigger. EXCEPT hashes both sides and finds the same rows in linear time.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION taste_log_rating_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO taste_tastechange (kind, object_id, changed_at)
    SELECT 'user', user_id, now() FROM (SELECT DISTINCT user_id FROM new_rows) AS u
    UNION ALL
    SELECT 'title', title_id, now() FROM (
        SELECT DISTINCT title_id FROM (
            SELECT id, title_id, score FROM new_rows
            EXCEPT
            SELECT id, title_id, score FROM old_rows
        ) AS changed
    ) AS t;
    RETURN NULL;
END $$;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION taste_log_rating_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [("taste", "0003_fallback_positions")]

    operations = [migrations.RunSQL(FUNCTION, PREVIOUS)]

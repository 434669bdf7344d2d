"""No index duplicates the leading column of another (issue 17): the single-column
indexes of ratings.user_id/title_id and compatibility.user_a_id/user_b_id are gone,
and the composites that cover them are there."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

INDEX_COLUMNS_SQL = """
SELECT i.relname, array_agg(a.attname ORDER BY k.ordinality)
  FROM pg_index x
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_class i ON i.oid = x.indexrelid
  CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ordinality)
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
 WHERE t.relname = %s
 GROUP BY i.relname
"""


def index_columns(table: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(INDEX_COLUMNS_SQL, [table])
        return sorted(columns for _name, columns in cursor.fetchall())


@pytest.mark.parametrize(
    "table, columns",
    [
        ("ratings_rating", ["user_id", "title_id"]),
        ("taste_compatibility", ["user_a_id", "user_b_id"]),
    ],
)
def test_no_single_column_index_where_a_composite_leads_with_it(table, columns):
    indexes = index_columns(table)
    for column in columns:
        assert [column] not in indexes
        assert any(len(index) > 1 and index[0] == column for index in indexes), column

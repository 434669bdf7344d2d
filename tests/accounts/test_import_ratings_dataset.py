import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from catalog.models import Title
from ratings.models import Rating
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(tmp_path):
    def write(ratings: str, items: str):
        ratings_path = tmp_path / "ratings.csv"
        items_path = tmp_path / "items.csv"
        ratings_path.write_text(ratings, encoding="utf-8")
        items_path.write_text(items, encoding="utf-8")
        return str(ratings_path), str(items_path)

    return write


ITEMS = """id,title,year,imdb_id
1,Heat,1995,tt0113277
2,Amélie,2001,
3,"Matrix, The",1999,
4,Brand New Film,2022,tt7654321
5,Toy Story (1995),,
6,Unrated Item,2000,
"""

RATINGS = """user,item,score,timestamp
7,1,4.5,964982703
7,2,3,964981247
7,3,5,2001-02-03
7,4,0.5,
7,5,2,964983815
42,1,1,964982224
42,2,5,964982224
42,2,4,964982300
"""


def test_loads_users_titles_and_rescaled_ratings(files, capsys):
    heat = TitleFactory(name="Heat", year=1995, imdb_id="tt0113277")
    amelie = TitleFactory(name="Amélie", year=2001)
    matrix = TitleFactory(name="The Matrix", year=1999)
    ratings, items = files(RATINGS, ITEMS)
    call_command("import_ratings_dataset", ratings, "--items", items)
    out = capsys.readouterr().out
    assert "Loaded 7 ratings from 8 rows" in out
    assert "scale 0.5-5 -> 0-100" in out
    assert "Users: 2 created, 0 existing. Titles: 3 matched, 2 created." in out

    seven = User.objects.get(username="dataset-7")
    assert not seven.has_usable_password()
    scores = dict(Rating.objects.filter(user=seven).values_list("title__name", "score"))
    # (score - 0.5) / 4.5 * 100, halves up.
    assert scores == {
        "Heat": 89,
        "Amélie": 56,
        "The Matrix": 100,
        "Brand New Film": 0,
        "Toy Story": 33,
    }
    assert Rating.objects.get(user=seven, title=heat).rated_at.year == 2000
    assert (
        Rating.objects.get(user=seven, title=matrix).rated_at.isoformat().startswith("2001-02-03")
    )
    new = Title.objects.get(name="Brand New Film")
    assert (new.year, new.imdb_id, new.slug) == (2022, "tt7654321", "brand-new-film-2022")
    assert Title.objects.get(name="Toy Story").year == 1995
    # The last line of a repeated user+item wins; percentiles computed (5 distinct scores).
    assert Rating.objects.get(user__username="dataset-42", title=amelie).score == 78
    assert all(r.percentile is not None for r in Rating.objects.filter(user=seven))
    heat.refresh_from_db()
    assert heat.ratings_count == 2


def test_running_twice_changes_nothing(files, capsys):
    ratings, items = files(RATINGS, ITEMS)
    call_command("import_ratings_dataset", ratings, "--items", items)
    before = sorted(Rating.objects.values_list("user__username", "title__name", "score"))
    titles = Title.objects.count()
    call_command("import_ratings_dataset", ratings, "--items", items)
    assert "Users: 0 created, 2 existing." in capsys.readouterr().out
    assert sorted(Rating.objects.values_list("user__username", "title__name", "score")) == before
    assert Title.objects.count() == titles


def test_explicit_scale_and_out_of_range_scores_are_skipped(files, capsys):
    ratings, items = files("user,item,score,timestamp\n1,1,10,\n1,2,0,\n1,3,11,\n", ITEMS)
    call_command("import_ratings_dataset", ratings, "--items", items, "--scale", "1-10")
    out = capsys.readouterr().out
    assert "Loaded 1 ratings" in out and "Skipped 2 rows" in out
    assert list(Rating.objects.values_list("score", flat=True)) == [100]


def test_rows_with_unknown_items_or_bad_scores_are_counted_and_shown(files, capsys):
    text = "user,item,score,timestamp\n1,1,4,\n1,99,3,\n1,2,lots,\n,2,3,\n1,3,2,\n"
    ratings, items = files(text, ITEMS)
    call_command("import_ratings_dataset", ratings, "--items", items)
    out = capsys.readouterr().out
    assert "Skipped 3 rows" in out
    assert "line 3: item 99 is not in the items file" in out
    assert "line 4: score 'lots' is not a number" in out


@pytest.mark.parametrize(
    ("ratings", "items", "args", "message"),
    [
        ("user,item\n1,1\n", ITEMS, [], "needs the columns user, item, score; missing score"),
        (RATINGS, "name,year\nx,1\n", [], "needs the columns id, title"),
        ("user,item,score,timestamp\n1,1,3,\n", ITEMS, [], "give it with --scale"),
        ("user,item,score,timestamp\n", ITEMS, [], "no usable ratings"),
        (RATINGS, ITEMS, ["--scale", "5-1"], "minimum must be below"),
        (RATINGS, ITEMS, ["--scale", "five"], "MIN-MAX"),
    ],
)
def test_unusable_input_is_a_clear_command_error(files, ratings, items, args, message):
    ratings_path, items_path = files(ratings, items)
    with pytest.raises(CommandError, match=message):
        call_command("import_ratings_dataset", ratings_path, "--items", items_path, *args)
    assert not Rating.objects.exists()


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot open"):
        call_command(
            "import_ratings_dataset", str(tmp_path / "no.csv"), "--items", str(tmp_path / "x")
        )

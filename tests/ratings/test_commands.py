import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import TitleStats
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from tests.factories import TitleFactory, UserFactory
from tests.ratings.reference import assert_matches_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated():
    titles = TitleFactory.create_batch(7)
    ratings = {}
    for offset in range(3):
        user = UserFactory()
        scores = {t.pk: (13 * i + 29 * offset) % 101 for i, t in enumerate(titles)}
        rate_many(user, [RatingInput(tid, s) for tid, s in scores.items()])
        ratings[user.pk] = scores
    return titles, ratings


def _corrupt(titles):
    rating = Rating.objects.filter(percentile__isnull=False).order_by("pk").first()
    Rating.objects.filter(pk=rating.pk).update(percentile=(rating.percentile + 7) % 100)
    TitleStats.objects.filter(title=titles[1]).update(ratings_count=40, percentile_sum=9)
    TitleStats.objects.filter(title=titles[2]).update(percentile_count=0, percentile_sum=0)
    return rating


def test_check_percentiles_passes_when_exact(rated, capsys):
    call_command("check_percentiles")
    assert "All percentiles and title aggregates are exact." in capsys.readouterr().out


def test_check_percentiles_prints_each_mismatch_and_fails(rated, capsys):
    titles, _ = rated
    rating = _corrupt(titles)

    with pytest.raises(CommandError, match="1 percentile and 2 title aggregate mismatches"):
        call_command("check_percentiles")

    out = capsys.readouterr().out
    assert f"rating {rating.pk} (user {rating.user_id}, title {rating.title_id})" in out
    assert f"title {titles[1].pk}:" in out
    assert f"title {titles[2].pk}:" in out


def test_recompute_percentiles_repairs_everything(rated, capsys):
    titles, ratings = rated
    _corrupt(titles)
    Rating.objects.update(percentile=None)

    call_command("recompute_percentiles", batch_size=2)

    out = capsys.readouterr().out
    # Every one of the 21 ratings was rewritten: counted as ratings, though the three
    # users rate the same 7 titles (a count by title would say 7).
    assert "users: 2/3 (14 ratings changed)" in out and "users: 3/3 (21 ratings changed)" in out
    assert "Percentiles: 21 ratings changed for 3 users." in out
    assert "titles: 7/7 (2 titles changed)" in out
    assert "Percentiles and aggregates rebuilt." in out
    assert_matches_reference(ratings, [t.pk for t in titles])
    call_command("check_percentiles")


def test_recompute_percentiles_on_exact_data_changes_nothing(rated, capsys):
    call_command("recompute_percentiles")
    out = capsys.readouterr().out
    assert "Percentiles: 0 ratings changed for 3 users." in out
    assert "Aggregates: 0 of 7 titles changed." in out

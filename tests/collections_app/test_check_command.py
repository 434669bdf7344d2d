import pytest
from django.core.management import CommandError, call_command

from collections_app.models import Collection, CollectionItem
from tests.collections_app.conftest import assert_dense, positions
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


def test_consistent_collections_pass(make_collection, capsys):
    make_collection(titles=3)
    make_collection(name="Empty")
    call_command("check_collections")
    assert "All collections are consistent." in capsys.readouterr().out


def test_gaps_and_wrong_counts_are_reported_then_repaired(make_collection, capsys):
    collection = make_collection(titles=3)
    # Written around the services: a gap at 3 and an uncounted item at 7.
    CollectionItem.objects.filter(collection=collection, position=3).update(position=5)
    CollectionItem.objects.create(
        collection=collection, title=TitleFactory(name="Late"), position=7
    )
    with pytest.raises(CommandError, match="1 inconsistent collection"):
        call_command("check_collections")
    assert "items_count 3, 4 items" in capsys.readouterr().out
    call_command("check_collections", "--repair")
    assert_dense(collection)
    assert [name for name, _ in positions(collection)][-2:] == ["Two-handers title 3", "Late"]
    call_command("check_collections")
    assert Collection.objects.get().items_count == 4

import pytest

from catalog.models import Title
from ratings.services import rate
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_saving_a_stale_title_keeps_the_rating_aggregates():
    title = TitleFactory(name="Interview", year=2007)
    stale = Title.objects.get(pk=title.pk)  # e.g. loaded by an admin form
    rate(UserFactory(), title, 73)

    stale.synopsis = "A war reporter interviews a soap star."
    stale.save()

    title.refresh_from_db()
    assert title.synopsis == "A war reporter interviews a soap star."
    assert title.ratings_count == 1


def test_a_new_title_saves_every_field():
    title = Title(name="Interview", year=2007, runtime_minutes=84)
    title.save()
    title.refresh_from_db()
    assert (title.ratings_count, title.slug, title.runtime_minutes) == (0, "interview-2007", 84)

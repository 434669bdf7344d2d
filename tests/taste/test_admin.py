import pytest
from django.urls import reverse

from taste import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["compatibility", "tasteprofile", "titlesimilarity"])
def test_taste_tables_are_searchable_and_read_only_in_the_admin(client, trio, model):
    services.rebuild_all()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse(f"admin:taste_{model}_changelist")
    assert client.get(changelist, {"q": "a"}).status_code == 200
    assert client.get(reverse(f"admin:taste_{model}_add")).status_code == 403

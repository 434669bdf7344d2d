import pytest
from django.contrib.auth.models import Group

from moderation import services as moderation
from moderation.selectors import target_for
from ratings.services import rate
from tests.factories import CollectionFactory, TitleFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def title(db):
    return TitleFactory(name="Interview", year=2007)


@pytest.fixture
def author(db):
    return UserFactory(username="ann")


@pytest.fixture
def member(db):
    return UserFactory(username="bob")


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mod")
    moderation.grant_moderator(user)
    return user


@pytest.fixture
def review(author, title):
    return rate(author, title, 80, review="Neither of them tells the truth; <b>great</b>.")


@pytest.fixture
def collection(author):
    return CollectionFactory(owner=author, name="Best interviews", slug="best-interviews")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def make_report():
    """make_report(obj, reporter, reason="spam", details="") files a report as a member."""

    def make(obj, reporter=None, reason: str = "spam", details: str = ""):
        return moderation.report(reporter or UserFactory(), target_for(obj), reason, details)

    return make


@pytest.fixture
def moderators_group(db):
    return Group.objects.get(name=moderation.MODERATORS_GROUP)

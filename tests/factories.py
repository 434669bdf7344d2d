"""factory-boy factories for every model. Ratings are created through ratings.services."""

import io

import factory
from django.utils.text import slugify
from PIL import Image

from accounts.models import User
from catalog.models import Credit, CreditRole, Genre, Person, Title, WatchLink
from collections_app.models import Collection, CollectionItem


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda g: slugify(g.name))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Faker("name")


class TitleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Title

    name = factory.Sequence(lambda n: f"Title {n}")
    year = 2007
    runtime_minutes = 84
    synopsis = "A journalist interviews a film star; neither tells the whole truth."


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credit

    title = factory.SubFactory(TitleFactory)
    person = factory.SubFactory(PersonFactory)
    role = CreditRole.DIRECTOR


class WatchLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchLink

    title = factory.SubFactory(TitleFactory)
    provider = "Example Stream"
    url = "https://stream.example.com/watch/1"


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Collection {n}")
    slug = factory.LazyAttribute(lambda c: slugify(c.name))
    description = "Films worth a second look."


class CollectionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionItem

    collection = factory.SubFactory(CollectionFactory)
    title = factory.SubFactory(TitleFactory)
    position = factory.Sequence(lambda n: n + 1)


def image_bytes(fmt: str = "PNG", size=(300, 450), color=(200, 30, 30), **save_options) -> bytes:
    """An image file of one colour encoded as `fmt`, for upload tests (posters, avatars)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save_options)
    return buffer.getvalue()

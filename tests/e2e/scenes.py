"""Data for the browser tests that walk the whole site (accessibility, layout)."""

from accounts.tasks import import_start
from collections_app.services import collection_add_title
from moderation.selectors import target_for
from moderation.services import grant_moderator, report
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from taste import services as taste_services
from tests.factories import (
    CollectionFactory,
    GenreFactory,
    TitleFactory,
    UserFactory,
    WatchLinkFactory,
)


def site_scene() -> dict:
    """Titles, members with ratings and reviews, a collection, soulmates and probable
    scores, and one open report in the moderation queue."""
    drama = GenreFactory(name="Drama", slug="drama")
    comedy = GenreFactory(name="Comedy", slug="comedy")
    titles = []
    for i in range(1, 37):
        title = TitleFactory(
            name=f"Film number {i}",
            year=1960 + i,
            runtime_minutes=80 + i,
            synopsis="Two people talk through one long night and neither tells the truth.",
        )
        title.genres.add(drama if i % 2 else comedy)
        titles.append(title)
    interview = titles[0]
    WatchLinkFactory(title=interview)
    members = []
    for n in range(8):
        member = UserFactory(username=f"member{n}", display_name=f"Member {n}", bio="I like films.")
        entries = [
            RatingInput(
                t.pk, (7 * i + 13 * n) % 101, review=f"Review {n} of film {i}." if i < 8 else ""
            )
            for i, t in enumerate(titles[: 22 + 2 * n])
        ]
        rate_many(member, entries)
        members.append(member)
    viewer = members[0]
    collection = CollectionFactory(
        owner=viewer, name="Talky films", slug="talky-films", description="Films that talk."
    )
    for t in titles[:5]:
        collection_add_title(collection, t)
    taste_services.rebuild_all()
    moderator = UserFactory(username="mod", display_name="Mod")
    grant_moderator(moderator)
    review = Rating.objects.filter(user=members[7]).exclude(review="").first()
    report(viewer, target_for(review), "spam", "An advert.")
    # An import waiting for confirmation, with a line the site could not match.
    batch = import_start(
        viewer, data=b"title,year,score\nFilm numbr 3,1963,70\nFilm number 2,1962,60\n"
    )
    return {
        "import": batch,
        "viewer": viewer,
        "other": members[7],  # 36 ratings, 8 reviews: both lists of the profile are paged
        "title": interview,
        "unrated": titles[-1],
        "collection": collection,
        "moderator": moderator,
    }

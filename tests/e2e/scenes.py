"""Data for the browser tests that walk the whole site (accessibility, layout)."""

import datetime

from accounts.tasks import import_start
from collections_app.services import collection_add_title
from library.services import viewing_create, watchlist_add
from moderation.selectors import target_for
from moderation.services import grant_moderator, report
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from social.services import follow, like_review
from taste import services as taste_services
from tests.factories import (
    CollectionFactory,
    CreditFactory,
    GenreFactory,
    PersonFactory,
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
    # A director of a dozen films, the watchlist, a diary, follows and a like (the pages
    # of the library and social apps).
    director = PersonFactory(name="Ada Director")
    for t in titles[:12]:
        CreditFactory(title=t, person=director)
    for t in titles[-3:]:
        watchlist_add(user=viewer, title=t)
    for day, t in enumerate(titles[:3], start=1):
        viewing_create(
            user=viewer, title=t, watched_on=datetime.date(2024, 3, day), rewatch=day == 2
        )
    for member in members[1:4]:
        follow(user=viewer, target=member)
        follow(user=member, target=viewer)
    liked = Rating.objects.filter(user=viewer).exclude(review="").first()
    like_review(user=members[1], rating=liked)
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
        "director": director,
    }

"""The words of the demo (seed_demo): members' bios and reviews written per film.

Reviews are put together from sentences that name the film's own director, cast, year,
genre and runtime, so two reviews of different films never read alike, and a sentence
is used at most once per film, so a title page never repeats a line. Everything is
drawn from the ``random.Random`` it is given: the demo stays deterministic.
"""

import random
from dataclasses import dataclass, field

# Bios: what the member watches (by taste cluster), how they score (by habit), and
# sometimes something about them. Some members leave the bio empty.
BIO_TASTES = {
    "arthouse": [
        "Slow cinema, long takes and films that trust the audience.",
        "Mostly dramas, mostly subtitled, mostly watched alone on weeknights.",
        "I go to the cinema for faces and silences, not explosions.",
        "Working through the festival winners of the last forty years.",
    ],
    "blockbuster": [
        "Big screen, big sound, big popcorn.",
        "If it has a spaceship, a heist or a chase on a train, I am in.",
        "Opening weekend, front row, every summer since I was twelve.",
        "Superheroes, science fiction and the occasional guilty pleasure.",
    ],
    "genre": [
        "Horror first, thrillers second, everything else when friends insist.",
        "I like a film that makes me check the locks afterwards.",
        "Giallo, slashers, folk horror and paranoid thrillers.",
        "Mysteries with a twist I did not see coming.",
    ],
    "light": [
        "Comedies, musicals and anything a whole family can watch together.",
        "Life is hard enough: I rate feel-good films and animation.",
        "Pixar, Ghibli and Sunday-afternoon comedies.",
        "I laugh easily and I am not ashamed of it.",
    ],
    "classic": [
        "Black and white, westerns and film noir.",
        "Mostly films made before I was born.",
        "Hitchcock, Ford, Wilder and the rest of the old masters.",
        "Revival screenings and restored prints whenever I can.",
    ],
}
BIO_HABITS = {
    "typical": ["I use the whole scale.", "My scores are honest, not generous.", ""],
    "round fives": ["I score in fives; finer than that is false precision.", ""],
    "harsh": [
        "A 60 from me is a film I would recommend.",
        "I rate hard: most films are average, and I say so.",
    ],
    "generous": [
        "I rate generously; anything under 70 really did not work for me.",
        "If I finished it, it probably gets a good score.",
    ],
    "upper half only": ["I never go below 50: I only finish films I like."],
    "out of ten": ["Out of ten, like the newspapers used to do it."],
    "thumbs": ["Thumbs up or thumbs down, nothing in between."],
}
BIO_EXTRAS = [
    "Projectionist in a former life.",
    "Film club on Thursdays.",
    "Catching up on the decades I missed.",
    "Reviews when I have something to say.",
    "Mostly watching with my kids these days.",
    "Living far from the nearest cinema, so a lot of home viewing.",
    "Recommendations welcome.",
    "Writing about film for a small local paper.",
    "Still looking for my soulmate here.",
    "Trying to watch one film from every country.",
    "",
    "",
]


def bio_for(rng: random.Random, cluster: str, habit: str) -> str:
    """A short bio in the member's own words, or "" (one in eight leave it empty)."""
    if rng.random() < 0.125:
        return ""
    parts = [rng.choice(BIO_TASTES[cluster]), rng.choice(BIO_HABITS.get(habit, [""]))]
    parts.append(rng.choice(BIO_EXTRAS))
    return " ".join(part for part in parts if part)


# Reviews. Slots: {title} {director} {lead} {second} {year} {decade} {genre_lower} {runtime}.
OPENINGS = {
    "high": [
        "{title} is one of the best things I have seen in years.",
        "{title} completely won me over.",
        "I will keep coming back to {title}.",
        "{title}: {director} at the top of their game.",
        "Beautifully made, and {lead} is superb in it.",
        "Saw {title} again last night and it only gets better.",
        "Everything people say about {title} is true.",
        "{title} feels as fresh as the day it came out in {year}.",
        "{lead} gives one of the great performances of the {decade}.",
        "I did not expect {title} to move me this much.",
        "{title} is easily the best thing {director} made.",
        "{runtime} minutes of {title} and not one of them wasted.",
    ],
    "mid": [
        "{title} is good, not great.",
        "{title} is worth a watch, with reservations.",
        "Solid craft from {director}, uneven story: that is {title} for me.",
        "I liked more of {title} than I expected to.",
        "{lead} is better than the film around them.",
        "{title} is a decent {genre_lower}, if you are in the mood for one.",
        "Parts of {title} are wonderful; the rest is filler.",
        "It has dated, but {lead} still holds your attention.",
        "{title} is fine for a quiet evening; I will not rush back to it.",
        "{title} is a {decade} {genre_lower} that does what it says and no more.",
        "{director} has done better, but {title} is far from a misfire.",
        "Some lovely scenes between {lead} and {second}.",
    ],
    "low": [
        "{title} was not for me.",
        "I wanted to like {title} much more than I did.",
        "A slog, despite a few good moments from {lead}.",
        "Could not connect with {title} at all.",
        "{director} lost me somewhere in the second act of {title}.",
        "I can see why people love {title}; I am not one of them.",
        "{title} is too long at {runtime} minutes, and too pleased with itself.",
        "Everyone in it deserved a better script, {lead} most of all.",
        "{title} is a {genre_lower} without the one thing a {genre_lower} needs.",
        "The {decade} were kinder to {title} than I am.",
        "Gave {title} two tries. Neither took.",
        "I kept checking how much of {title} was left.",
    ],
}
DETAILS = [
    "{lead} and {second} play off each other beautifully.",
    "The middle of {title} sags, but the last half hour makes up for it.",
    "The music does a lot of the heavy lifting for {director}.",
    "Every shot looks considered; {director} knows exactly where to put the camera.",
    "The dialogue {lead} gets is sharper than the plot.",
    "The ending of {title} lands better than the build-up.",
    "It feels longer than its {runtime} minutes, and {second} is wasted.",
    "What stays with you is {lead}, not the story.",
    "Rewatched {title} and noticed far more the second time.",
    "{director}'s direction is confident even when the script is not.",
    "{title} looks wonderful for a film from {year}.",
    "{second} steals every scene they are in.",
    "Some of the editing in {title} is genuinely daring.",
    "The first scene of {title} tells you everything about the film to come.",
    "Hard to believe {director} pulled this off on what must have been a small budget.",
    "Around {lead}, the supporting cast is stronger than you would expect.",
    "{director} wears their influences openly, and mostly earns them.",
    "The pacing is patient; let {title} work on you.",
    "{title} is funnier than its reputation suggests.",
    "The sets could carry {title} on their own.",
    "I could have done without the voice-over {lead} is stuck with.",
    "The last shot of {title} is one I will remember.",
    "{title} says something about the {decade} that still rings true.",
    "{lead} does more with a look than most actors do with a monologue.",
    "A few scenes of {title} have aged badly.",
    "You can feel {director} enjoying themselves.",
    "The second half of {title} is a different, better film.",
    "{second} deserved a bigger part.",
]
CLOSINGS = [
    "Seen {title} at the cinema, which helped.",
    "Watched {title} on a plane; I should give it a proper screening.",
    "Second viewing of {title}, and my score went up.",
    "Saw {title} at a festival, with a very enthusiastic crowd.",
    "My partner liked {title} more than I did.",
    "Now I want to see everything else {director} made.",
    "{title} is the kind of film that starts arguments at dinner.",
    "I will be thinking about {lead} in this for a while.",
    "Going to look for more with {second}.",
]
ONE_LINERS = {
    "high": ["Wow.", "Instant favourite.", "A masterpiece, no notes.", "Loved every minute."],
    "mid": ["Fine.", "Entertaining enough.", "Good cast, so-so film.", "A solid watch."],
    "low": ["Nope.", "Not my thing.", "Overrated.", "Meh."],
}


@dataclass
class FilmFacts:
    title: str
    year: int | None
    genres: list[str]
    directors: list[str]
    cast: list[str]
    runtime: int | None

    def slots(self) -> dict[str, str]:
        genre = self.genres[0] if self.genres else "film"
        cast = self.cast or ["the lead"]
        return {
            "title": self.title,
            "director": self.directors[0] if self.directors else "the director",
            "lead": cast[0],
            "second": cast[1] if len(cast) > 1 else "the supporting cast",
            "year": str(self.year or "its day"),
            "decade": f"{(self.year // 10) * 10}s" if self.year else "old days",
            "genre_lower": genre.lower() if genre != "Sci-Fi" else "science-fiction film",
            "runtime": str(self.runtime or 100),
        }


@dataclass
class ReviewWriter:
    """Writes reviews of films; each sentence is used at most once per film."""

    used: dict[str, set[str]] = field(default_factory=dict)

    def _pick(self, rng: random.Random, key: str, pool: list[str]) -> str | None:
        taken = self.used.setdefault(key, set())
        free = [line for line in pool if line not in taken]
        if not free:
            return None
        line = rng.choice(free)
        taken.add(line)
        return line

    def review(self, rng: random.Random, film: FilmFacts, band: str) -> str:
        """A review of ``film`` by someone whose score sits in ``band`` (high, mid, low),
        or "" when every fitting opening has been used for this film."""
        key = film.title + str(film.year)
        if rng.random() < 0.12:
            line = self._pick(rng, key, ONE_LINERS[band])
            return line or ""
        opening = self._pick(rng, key, OPENINGS[band])
        if opening is None:
            return ""
        sentences = [opening]
        # An opening that names nothing of the film never stands alone.
        least = 0 if "{" in opening else 1
        for _ in range(max(least, rng.choice((0, 1, 1, 2, 2, 3)))):
            detail = self._pick(rng, key, DETAILS)
            if detail:
                sentences.append(detail)
        text = " ".join(sentences)
        if rng.random() < 0.25:
            closing = self._pick(rng, key, CLOSINGS)
            if closing:
                text += "\n\n" + closing
        slots = film.slots()
        return text.format(**slots)

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from accounts.models import User
from ratings import scales


@pytest.mark.parametrize(
    ("score", "hundred", "ten", "stars"),
    [
        (0, "0", "1", "0.5"),
        (4, "4", "1", "0.5"),
        (15, "15", "2", "1"),
        (49, "49", "5", "2.5"),
        (70, "70", "7", "3.5"),
        (73, "73", "7", "3.5"),
        (75, "75", "8", "4"),
        (100, "100", "10", "5"),
    ],
)
def test_to_display_maps_stored_scores_onto_each_scale(score, hundred, ten, stars):
    assert scales.to_display(score, "100") == hundred
    assert scales.to_display(score, "10") == ten
    assert scales.to_display(score, "5") == stars


def test_to_display_of_no_score_is_empty():
    assert scales.to_display(None, "10") == ""


@pytest.mark.parametrize(
    ("value", "scale", "stored"),
    [
        ("73", "100", 73),
        ("0", "100", 0),
        (" 7 ", "10", 70),
        ("10", "10", 100),
        ("3.5", "5", 70),
        ("3,5", "5", 70),
        ("0.5", "5", 10),
        ("5", "5", 100),
        ("4★", "5", 80),
    ],
)
def test_from_input_converts_to_stored_score(value, scale, stored):
    assert scales.from_input(value, scale) == stored


@pytest.mark.parametrize(
    ("value", "scale", "message"),
    [
        ("", "100", "Enter a score from 0 to 100"),
        ("abc", "100", "is not a number"),
        ("101", "100", "0 to 100"),
        ("72.5", "100", "whole number"),
        ("0", "10", "1 to 10"),
        ("7.5", "10", "whole number"),
        ("3.3", "5", "half stars"),
        ("0", "5", "0.5 to 5"),
        ("nan", "5", "Enter a score"),
        # Huge exponents: refused before any arithmetic (9e999999 * 2 overflows).
        ("9e999999", "5", "0.5 to 5"),
        ("-9e999999", "5", "0.5 to 5"),
        ("9e999999", "10", "1 to 10"),
        ("1e50", "100", "0 to 100"),
    ],
)
def test_from_input_rejects_bad_values_with_a_clear_message(value, scale, message):
    with pytest.raises(ValueError, match=message):
        scales.from_input(value, scale)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="Unknown rating scale"):
        scales.to_display(50, "7")


@pytest.mark.parametrize("scale", ["100", "10", "5"])
def test_entering_a_displayed_value_gives_back_a_score_that_displays_the_same(scale):
    for score in range(0, 101):
        shown = scales.to_display(score, scale)
        assert scales.to_display(scales.from_input(shown, scale), scale) == shown


@pytest.mark.parametrize("scale", ["100", "10", "5"])
def test_display_is_monotonic_so_percentile_order_is_kept(scale):
    values = [scales.to_scale_value(score, scale) for score in range(0, 101)]
    assert values == sorted(values)


def _render(score, user):
    return Template("{% load ratings_tags %}{{ score|on_scale:user }}").render(
        Context({"score": score, "user": user})
    )


def test_on_scale_filter_uses_the_viewers_scale():
    assert _render(73, User(username="a", rating_scale="10")) == "7"
    assert _render(73, User(username="b", rating_scale="5")) == "3.5★"
    assert _render(73, User(username="c", rating_scale="100")) == "73"


def test_on_scale_filter_shows_0_to_100_to_signed_out_viewers():
    assert _render(73, AnonymousUser()) == "73"
    assert _render(None, AnonymousUser()) == ""

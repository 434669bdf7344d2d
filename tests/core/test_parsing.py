import pytest

from core.parsing import parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 12 ", 12), ("-3", -3), ("+4", 4), (5, 5), ("2100", 2100)],
)
def test_plain_integers_are_read(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() is True, int() raises
        "٣",  # int() reads Arabic-Indic digits; they are refused like any other script
        "１２",
        "9" * 5_000,  # int() raises past 4,300 digits
        "1.5",
        "1e3",
        "",
        "abc",
        None,
        True,
        ["1"],
    ],
)
def test_anything_else_gives_the_default(value):
    assert parse_int(value, default=-99) == -99


def test_bounds_are_inclusive_and_outside_gives_the_default():
    assert parse_int("1870", min=1870, max=2100) == 1870
    assert parse_int("2100", min=1870, max=2100) == 2100
    assert parse_int("1869", min=1870, max=2100) is None
    assert parse_int("2101", default=0, min=1870, max=2100) == 0

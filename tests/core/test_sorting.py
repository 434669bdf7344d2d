import pytest

from core.sorting import Sorts, parse_sort

SORTS = Sorts(
    {
        "newest": ("Newest", ["-rated_at", "-id"]),
        "highest": ("Highest score", ["-score", "-id"]),
    },
    default="newest",
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("highest", "highest"),
        ("newest", "newest"),
        ("bogus", "newest"),
        ("", "newest"),
        (None, "newest"),
    ],
)
def test_parse_sort_keeps_known_names_and_falls_back_otherwise(value, expected):
    assert parse_sort(value, SORTS, "newest") == expected


def test_parse_sort_accepts_django_choices():
    choices = [("a", "A"), ("b", "B")]
    assert parse_sort("b", choices, "a") == "b"
    assert parse_sort("B", choices, "a") == "a"


def test_parse_sort_accepts_plain_names():
    assert parse_sort("b", ["a", "b"], "a") == "b"
    assert parse_sort("c", ["a", "b"], "a") == "a"


def test_sorts_order_by_uses_the_default_for_unknown_names():
    assert SORTS.order_by("highest") == ("-score", "-id")
    assert SORTS.order_by("bogus") == ("-rated_at", "-id")
    assert SORTS.order_by(None) == ("-rated_at", "-id")


def test_sorts_choices_are_name_label_pairs_in_order():
    assert SORTS.choices == [("newest", "Newest"), ("highest", "Highest score")]


def test_sorts_refuse_a_default_they_do_not_offer():
    with pytest.raises(ValueError):
        Sorts({"a": ("A", ["a"])}, default="b")

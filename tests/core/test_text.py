"""core.text.stripped_within: the length check of free-text fields."""

import pytest
from django.core.exceptions import ValidationError

from core.text import stripped_within


def test_blanks_are_stripped_and_a_value_at_the_limit_is_kept():
    assert stripped_within("  ab c \n", 4, "A note", "note_too_long") == "ab c"
    assert stripped_within(None, 4, "A note", "note_too_long") == ""


def test_a_longer_value_is_refused_with_its_length_and_the_code():
    with pytest.raises(ValidationError) as refused:
        stripped_within("x" * 2001, 2000, "A description", "description_too_long")
    assert refused.value.code == "description_too_long"
    assert refused.value.message == (
        "A description can be at most 2,000 characters (this one has 2,001)."
    )

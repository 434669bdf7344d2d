import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory

from core.templatetags.core_tags import get_field_label, percent, percent_of, plus, signed
from core.text import ordinal


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
     (13, "13th"), (21, "21st"), (22, "22nd"), (36, "36th"), (101, "101st"), (None, ""), ("", "")],
)  # fmt: skip
def test_ordinal(value, expected):
    assert ordinal(value) == expected


def test_signed_plus_and_percent():
    assert signed(3.21) == "+3.2"
    assert signed(-1, 2) == "−1.00"
    assert signed(-0.01) == "0.0"
    assert plus(3.2) == "+ 3.20"
    assert plus(-1) == "− 1.00"
    assert percent(0.42) == "42%"
    assert percent(None) == ""


def test_percent_of():
    assert percent_of(1, 3) == 33
    assert percent_of(5, 0) == 0
    assert percent_of("x", 3) == 0


def test_get_field_label():
    class F(forms.Form):
        year_min = forms.IntegerField(label="From year")
        year_max = forms.IntegerField()

    assert get_field_label(F(), "year_min") == "From year"
    assert get_field_label(F(), "year_max") == "year max"  # no label: the name
    assert get_field_label(F(), "missing_one") == "missing one"


def test_query_replace_keeps_other_parameters_in_templates():
    request = RequestFactory().get("/titles/", {"sort": "name", "page": "2"})
    rendered = Template("{% load core_tags %}{% query_replace 'page' 3 %}").render(
        Context({"request": request})
    )
    assert rendered == "sort=name&amp;page=3"

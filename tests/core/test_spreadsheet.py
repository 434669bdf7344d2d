import csv
import io

import pytest

from core.spreadsheet import csv_line, safe_cell, unescape_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Heat", "Heat"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_are_prefixed(value, written):
    assert safe_cell(value) == written


@pytest.mark.parametrize("text", ["=1+1", "-x", "'quoted", "plain", "'", "@"])
def test_unescape_gives_back_what_was_escaped(text):
    assert unescape_cell(safe_cell(text)) == text


def test_csv_line_writes_one_escaped_record():
    line = csv_line(["=cmd", 'say "hi", -1', 7, "-3"])
    assert line.endswith("\r\n")
    assert next(csv.reader(io.StringIO(line))) == ["'=cmd", 'say "hi", -1', "7", "'-3"]

"""The table of nasty values the fuzz suite sends wherever the site reads input."""

# Query-string and form values. Each is a string (or a list: the same key sent several
# times) that a browser, a script or a careless hand could send.
NASTY_VALUES: list[str | list[str]] = [
    "\x00",  # NUL: PostgreSQL refuses it in text
    "a\x00b",
    "x" * 10_000,  # very long
    "-1",
    "0",
    str(2**63),  # one past bigint
    "9" * 5_000,  # past Python's int() digit limit
    "9e999999",  # Decimal overflow when multiplied
    "1e50",
    "-1e-999999999",
    "NaN",
    "-Infinity",
    "1.5",
    "²",  # str.isdigit() is True, int() fails
    "٣",  # Arabic-Indic three: int() reads it
    "１２",  # full-width digits
    "0000-00-00",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "",
    "   ",
    ["1", "2"],  # a list where one value is expected
    [],
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "//evil.com",
    "https://evil.com/",
    "abc",  # a bare word: redirect() would read it as a view name
    "../../etc/passwd",
    "%00",
    "\u202etxt.exe",
    "🎬" * 100,
]

# Values put in URL path segments (the test client percent-encodes them).
NASTY_PATH_VALUES: list[str] = [
    "\x00",
    "%00",
    "x" * 3_000,
    "-1",
    "0",
    str(2**63),
    "9" * 50,
    "²",
    "abc",
    "..",
    "<script>",
    "🎬",
    " ",
]

# Names of query parameters the site reads somewhere, tried on every page besides the
# ones found in the page's own forms and links.
KNOWN_PARAMS = [
    "page", "q", "sort", "next", "find", "genre", "genres", "year", "kind", "view", "show",
    "rpage", "reviews_page", "collections_page", "year_min", "year_max", "o", "p", "e",
]  # fmt: skip

# Variants of an uploaded file for <input type=file>.
NASTY_FILES = [
    ("empty.csv", b""),
    ("nul.png", b"\x00" * 64),
    ("not-an-image.jpg", b"<script>alert(1)</script>"),
    ("x" * 300 + ".csv", b"title,year,score\nA,2000,\xff\xfe\n"),
]


def label(value) -> str:
    """A short, printable label for a value in failure messages."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...({len(text)} chars)"

"""Small text formatters shared by Python code and templates (core_tags registers them)."""


def ordinal(value) -> str:
    """36 -> "36th", 1 -> "1st", 11 -> "11th", 22 -> "22nd"; empty for None."""
    if value is None or value == "":
        return ""
    number = int(value)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"

"""Counts of the fuzz suite's requests, printed at the end of the run."""

COUNTS: dict[str, int] = {}
SECONDS: dict[str, float] = {}


def record(role: str, count: int, seconds: float) -> None:
    COUNTS[role] = count
    SECONDS[role] = seconds


def pytest_terminal_summary(terminalreporter):
    if not COUNTS:
        return
    terminalreporter.section("fuzz suite")
    for role, count in COUNTS.items():
        terminalreporter.write_line(f"{role}: {count} requests in {SECONDS[role]:.0f} s")
    terminalreporter.write_line(
        f"total: {sum(COUNTS.values())} requests in {sum(SECONDS.values()):.0f} s"
    )

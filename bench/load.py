"""Pages under load: requests per second of each page as a ratio of the sign-in page's,
measured against the site as ``run_site`` serves it (gunicorn, 3 sync workers, and the
background worker), in interleaved rounds.

    DATABASE_URL=postgres://…/demo REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/load.py [--seconds 5] [--rounds 3] [--connections 8]

The database must hold the demo (``seed_demo``; run ``rebuild_taste`` first so probable
scores exist). The load generator is an async httpx client on 127.0.0.1 with a fixed
number of connections, each sending its next request when the last one is answered
(a closed loop: bounded, it cannot overload the server). Each round measures every page
for ``--seconds``, in an order rotated every round, the sign-in page among them; a
page's ratio is its requests per second over the sign-in page's in the same round. The
table gives medians over the rounds and the spread (lowest-highest ratio). Requests
that fail (not 200) are counted and reported, not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

BASE_DIR = Path(__file__).resolve().parents[1]
USERNAME, PASSWORD = "ann", "demo1234"


@dataclass
class Page:
    name: str
    path: str
    signed_in: bool = False
    method: str = "GET"
    htmx: bool = False
    data: list[dict] = field(default_factory=list)  # POST bodies, taken in turn


@dataclass
class Result:
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pick_pages(database_url: str, css_path: str) -> list[Page]:
    """The pages of the issue's table, with titles chosen from the demo database."""
    with psycopg.connect(database_url) as conn:
        ann = conn.execute("SELECT id FROM accounts_user WHERE username = %s", [USERNAME])
        (ann_id,) = ann.fetchone()
        popular = conn.execute(
            """SELECT t.id, t.slug FROM catalog_title t
                 JOIN catalog_titlestats s ON s.title_id = t.id
                ORDER BY s.ratings_count DESC, t.id LIMIT 1"""
        ).fetchone()
        rated = conn.execute(
            """SELECT t.id, t.slug FROM ratings_rating r JOIN catalog_title t ON t.id = r.title_id
                 JOIN catalog_titlestats s ON s.title_id = t.id
                WHERE r.user_id = %s ORDER BY s.ratings_count DESC, t.id LIMIT 1""",
            [ann_id],
        ).fetchone()
        unrated = conn.execute(
            """SELECT t.id, t.slug FROM catalog_title t
                 JOIN catalog_titlestats s ON s.title_id = t.id
                WHERE NOT EXISTS (SELECT 1 FROM ratings_rating r
                                   WHERE r.title_id = t.id AND r.user_id = %s)
                ORDER BY s.ratings_count DESC, t.id LIMIT 1""",
            [ann_id],
        ).fetchone()
    # A score valid on every rating scale (0-100, 1-10, 0.5-5 stars), alternating.
    scores = [{"score": "4", "review": ""}, {"score": "5", "review": ""}]
    return [
        Page("/login/ (baseline)", "/login/"),
        Page("static CSS through whitenoise", css_path),
        Page("home /", "/"),
        Page("browse /titles/", "/titles/"),
        Page("search ?q=intervew", "/titles/?q=intervew"),
        Page("title page, signed out", f"/titles/{popular[0]}/{popular[1]}/"),
        Page("title page, signed in, rated", f"/titles/{rated[0]}/{rated[1]}/", signed_in=True),
        Page(
            "title page, signed in, live PSI",
            f"/titles/{unrated[0]}/{unrated[1]}/",
            signed_in=True,
        ),
        Page("profile /u/ann/", f"/u/{USERNAME}/"),
        Page("recommendations", "/recommendations/", signed_in=True),
        Page(
            "rating POST (htmx)",
            f"/titles/{rated[0]}/rating/edit/",
            signed_in=True,
            method="POST",
            htmx=True,
            data=scores,
        ),
    ]


def start_site(port: int, env: dict) -> subprocess.Popen:
    """``manage.py run_site`` as ``make run`` starts it (gunicorn + worker)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_site", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_site(process)
    raise SystemExit("the site did not start within 60 s")


def stop_site(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def sign_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = await client.post(
        "/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {USERNAME}: HTTP {answer.status_code}")


async def hammer(
    client: httpx.AsyncClient,
    page: Page,
    seconds: float,
    connections: int,
    bases: list[str] | None = None,
):
    """``connections`` closed loops requesting ``page`` for ``seconds``; with ``bases``
    (several nodes' addresses) each request goes to the next node in turn: a client-side
    round robin, one cookie jar for all (cookies ignore the port)."""
    result = Result()
    headers = {}
    if page.htmx:
        headers = {"HX-Request": "true", "HX-Target": "rating-panel"}
    if page.method == "POST":
        headers["X-CSRFToken"] = client.cookies.get("csrftoken", "")
    deadline = time.perf_counter() + seconds
    turn = 0
    sent = 0

    async def one_connection():
        nonlocal turn, sent
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            url = page.path
            if bases:
                url = bases[sent % len(bases)] + page.path
                sent += 1
            if page.method == "POST":
                turn += 1
                response = await client.post(
                    url, data=page.data[turn % len(page.data)], headers=headers
                )
            else:
                response = await client.get(url, headers=headers)
            if response.status_code == 200:
                result.ok += 1
                result.latencies.append(time.perf_counter() - started)
            else:
                result.failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


async def run(base: str, pages: list[Page], args) -> dict[str, list[Result]]:
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=0)
    results: dict[str, list[Result]] = {page.name: [] for page in pages}
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as anonymous,
        httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as member,
    ):
        await sign_in(member)
        for page in pages:  # warm up: workers, connections, caches
            await hammer(member if page.signed_in else anonymous, page, 0.5, args.connections)
        for round_number in range(args.rounds):
            shift = round_number * 3 % len(pages)
            for page in pages[shift:] + pages[:shift]:
                client = member if page.signed_in else anonymous
                results[page.name].append(
                    await hammer(client, page, args.seconds, args.connections)
                )
            print(f"  round {round_number + 1} of {args.rounds} done", file=sys.stderr)
    return results


def report(results: dict[str, list[Result]], label: str) -> None:
    baseline_name = next(iter(results))
    baseline = results[baseline_name]
    print(f"\n{label}")
    print("| page | req/s | ratio to /login/ | spread | p50 ms | failed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rounds in results.items():
        ratios = [r.rps / b.rps for r, b in zip(rounds, baseline, strict=True) if b.rps]
        latencies = [x for r in rounds for x in r.latencies]
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        print(
            f"| {name} | {statistics.median(r.rps for r in rounds):.0f} | "
            f"{statistics.median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} | "
            f"{p50:.1f} | {sum(r.failed for r in rounds)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("Set DATABASE_URL to a database holding the demo (seed_demo).")
    env = {**os.environ, "HTTPS": "0", "DEBUG": "0", "SECRET_KEY": "bench-load-not-secret"}
    env.setdefault("AXES_ENABLED", "0")
    port = free_port()
    site = start_site(port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        login = httpx.get(f"{base}/login/").text
        css = re.search(r'<link rel="stylesheet" href="([^"]+)"', login).group(1)
        pages = pick_pages(database_url, css)
        results = asyncio.run(run(base, pages, args))
    finally:
        stop_site(site)
    cache = "Redis" if os.environ.get("REDIS_URL") else "database cache"
    label = args.label or (
        f"{args.rounds} interleaved rounds of {args.seconds:g} s per page, "
        f"{args.connections} connections, cache: {cache}"
    )
    report(results, label)


if __name__ == "__main__":
    main()

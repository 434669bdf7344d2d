"""Pages under load: requests per second of each page as a ratio of the sign-in page's,
measured against the site as ``run_site`` serves it (gunicorn, 3 sync workers, and the
background worker), in interleaved rounds.

    DATABASE_URL=postgres://…/demo REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/load.py [--seconds 5] [--rounds 3] [--connections 8]

The database must hold the demo (``seed_demo``; run ``rebuild_taste`` first so probable
scores exist).

``--against DIR`` also starts the site of another checkout (``/work/main``: the code
before a change) on the same database, each site with a cache key prefix of its own
(and its static files collected into a temporary directory), and measures every page on
both in each round, alternating which goes first: the two tables and their ratio come
from the same machine state, which matters on a shared machine.

The load generator is an async httpx client on 127.0.0.1 with a fixed
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
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
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


def start_site(port: int, env: dict, base_dir: Path = BASE_DIR) -> subprocess.Popen:
    """``manage.py run_site`` as ``make run`` starts it (gunicorn + worker)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_site", "--port", str(port)],
        cwd=base_dir,
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


async def run(bases: list[str], pages: list[Page], args) -> list[dict[str, list[Result]]]:
    """Every page on every site (``bases``) in each round; one result table per site."""
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=0)
    results = [{page.name: [] for page in pages} for _ in bases]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for base in bases:
            anonymous = await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, limits=limits, timeout=30)
            )
            member = await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, limits=limits, timeout=30)
            )
            await sign_in(member)
            clients.append((anonymous, member))
        for anonymous, member in clients:
            for page in pages:  # warm up: workers, connections, caches
                client = member if page.signed_in else anonymous
                await hammer(client, page, 0.5, args.connections)
        for round_number in range(args.rounds):
            shift = round_number * 3 % len(pages)
            for page in pages[shift:] + pages[:shift]:
                order = list(range(len(bases)))
                if round_number % 2:
                    order.reverse()
                for site in order:
                    anonymous, member = clients[site]
                    client = member if page.signed_in else anonymous
                    results[site][page.name].append(
                        await hammer(client, page, args.seconds, args.connections)
                    )
            print(f"  round {round_number + 1} of {args.rounds} done", file=sys.stderr)
    return results


def ratios(results: dict[str, list[Result]]) -> dict[str, list[float]]:
    baseline = next(iter(results.values()))
    return {
        name: [r.rps / b.rps for r, b in zip(rounds, baseline, strict=True) if b.rps]
        for name, rounds in results.items()
    }


def report(results: dict[str, list[Result]], label: str) -> None:
    print(f"\n{label}")
    print("| page | req/s | ratio to /login/ | spread | p50 ms | failed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, page_ratios in ratios(results).items():
        rounds = results[name]
        latencies = [x for r in rounds for x in r.latencies]
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        print(
            f"| {name} | {statistics.median(r.rps for r in rounds):.0f} | "
            f"{statistics.median(page_ratios):.2f} | "
            f"{min(page_ratios):.2f}-{max(page_ratios):.2f} | "
            f"{p50:.1f} | {sum(r.failed for r in rounds)} |"
        )


def report_both(before: dict[str, list[Result]], after: dict[str, list[Result]], label) -> None:
    """Each page's ratio to /login/ on both sites, side by side (medians over rounds)."""
    print(f"\n{label}")
    print("| page | ratio before | ratio after | after / before |")
    print("|---|---:|---:|---:|")
    old, new = ratios(before), ratios(after)
    for name in before:
        if not old[name] or not new[name]:
            continue
        a, b = statistics.median(old[name]), statistics.median(new[name])
        print(f"| {name} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")


def collect_static(base_dir: Path, env: dict, target: str) -> None:
    """The other checkout's static files (whitenoise's manifest) in ``target``."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=base_dir,
        env={**env, "STATIC_ROOT": target},
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--label", default="")
    parser.add_argument(
        "--against", type=Path, help="another checkout (the code before), measured alike"
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("Set DATABASE_URL to a database holding the demo (seed_demo).")
    env = {**os.environ, "HTTPS": "0", "DEBUG": "0", "SECRET_KEY": "bench-load-not-secret"}
    env.setdefault("AXES_ENABLED", "0")
    prefix = env.get("CACHE_KEY_PREFIX", "movies")
    sites = [(BASE_DIR, {**env, "CACHE_KEY_PREFIX": f"{prefix}-load-this"})]
    with tempfile.TemporaryDirectory() as static_root:
        if args.against:
            other = {**env, "CACHE_KEY_PREFIX": f"{prefix}-load-against"}
            collect_static(args.against, other, static_root)
            sites.insert(0, (args.against.resolve(), {**other, "STATIC_ROOT": static_root}))
        processes = []
        try:
            bases = []
            for base_dir, site_env in sites:
                port = free_port()
                processes.append(start_site(port, site_env, base_dir))
                bases.append(f"http://127.0.0.1:{port}")
            login = httpx.get(f"{bases[-1]}/login/").text
            css = re.search(r'<link rel="stylesheet" href="([^"]+)"', login).group(1)
            pages = pick_pages(database_url, css)
            if args.against:  # the static file's hashed name may differ between the two
                pages = [page for page in pages if page.path != css]
            results = asyncio.run(run(bases, pages, args))
        finally:
            for process in processes:
                stop_site(process)
    cache = "Redis" if os.environ.get("REDIS_URL") else "database cache"
    label = args.label or (
        f"{args.rounds} interleaved rounds of {args.seconds:g} s per page, "
        f"{args.connections} connections, cache: {cache}"
    )
    if args.against:
        report(results[0], f"{label}; before: {sites[0][0]}")
        report(results[1], f"{label}; after: {sites[1][0]}")
        report_both(results[0], results[1], "Ratios to /login/, before and after, same rounds")
    else:
        report(results[0], label)


if __name__ == "__main__":
    main()

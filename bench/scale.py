"""One web node against two web nodes and a streaming replica, in one run: requests per
second of the same pages, interleaved, with the CPU each part used.

    DATABASE_URL=postgres://…/demo python bench/scale.py [--seconds 3] [--rounds 3]
        [--connections 8] [--redis redis://127.0.0.1:6379/14]

DATABASE_URL names a database holding the demo (``seed_demo`` then ``rebuild_taste``); it
is only read (``pg_dump``). The benchmark starts its own PostgreSQL primary on a free port
of 127.0.0.1 (``bench/pgcluster.py``, as the scale-out tests do), restores the demo into
it, clones a streaming replica from it with ``pg_basebackup -R``, and serves the site
twice at once, as ``manage.py run_site`` serves it (gunicorn with 3 sync workers plus the
background worker, per node):

- **one**: one node on the primary;
- **two**: two nodes on the same primary with ``DATABASE_REPLICA_URLS`` pointing at the
  replica, driven through a client-side round robin (each request to the next node).

Sessions and the cache are in Redis (``--redis``, database 14 by default, emptied before
and after; each configuration has its own key prefix). Each round measures every page
(``bench/load.py``'s pages) for ``--seconds`` on one configuration and then the other
(the order alternates every round, the pages' order rotates), with ``--connections``
closed loops from an async httpx client. Printed: each page's median req/s on each,
the ratio two/one (median over rounds and its spread), median latencies; then the CPU
used while measuring, in cores, by the web nodes, the primary, the replica, the load
generator and everything else on the machine (read from /proc), and where it saturates.
Nothing is asserted. About 4 minutes with the defaults on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pgcluster  # noqa: E402
from bench.load import (  # noqa: E402
    BASE_DIR,
    Page,
    Result,
    free_port,
    hammer,
    pick_pages,
    sign_in,
    start_site,
    stop_site,
)

CONFIGURATIONS = ("one", "two")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


# --- CPU accounting from /proc -------------------------------------------------------


def _processes() -> tuple[dict[int, list[int]], dict[int, int]]:
    """Children of every process, and each process's CPU ticks: its own plus those of
    its children that have exited (so short-lived database backends are counted)."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return children, ticks


def _tree_ticks(roots: list[int], children: dict[int, list[int]], ticks: dict[int, int]):
    total, todo = 0, list(roots)
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def _machine_busy_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values[:8]) - idle, sum(values[:8])


@dataclass
class CpuSample:
    """CPU ticks per part at one instant."""

    wall: float
    machine: int
    parts: dict[str, int]

    @classmethod
    def take(cls, groups: dict[str, list[int]]) -> CpuSample:
        children, ticks = _processes()
        parts = {name: _tree_ticks(roots, children, ticks) for name, roots in groups.items()}
        own = os.times()
        parts["load generator"] = round((own.user + own.system) * CLOCK_TICKS)
        busy, _ = _machine_busy_ticks()
        return cls(time.monotonic(), busy, parts)


@dataclass
class CpuUse:
    """Core-seconds used per part over the measurements of one configuration."""

    seconds: float = 0.0
    machine: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)

    def add(self, before: CpuSample, after: CpuSample) -> float:
        """Add one measurement's window; return the machine's busy cores in it."""
        wall = after.wall - before.wall
        machine = (after.machine - before.machine) / CLOCK_TICKS
        self.seconds += wall
        self.machine += machine
        for name, value in after.parts.items():
            used = (value - before.parts.get(name, 0)) / CLOCK_TICKS
            self.parts[name] = self.parts.get(name, 0.0) + used
        return machine / wall if wall else 0.0

    def cores(self, name: str, side: str = "") -> float:
        if name == "web nodes":
            name = f"web {side}"
        if name == "machine":
            return self.machine / self.seconds
        if name == "everything else":
            ours = sum(self.parts.values())
            return max(0.0, self.machine - ours) / self.seconds
        return self.parts.get(name, 0.0) / self.seconds


def request_cost(side: str, before: CpuSample, after: CpuSample, result: Result):
    """CPU milliseconds per answered request on the web nodes and the database servers."""

    def used(*parts: str) -> float:
        ticks = sum(after.parts[part] - before.parts[part] for part in parts)
        return ticks / CLOCK_TICKS * 1000 / max(result.ok, 1)

    return used(f"web {side}"), used("primary", "replica")


# --- the cluster and the sites -------------------------------------------------------


def restore_demo(source_url: str, cluster: pgcluster.Cluster) -> str:
    """Copy the demo database into the cluster's primary (as ``movies``); its URL."""
    cluster.execute(cluster.primary_port, "CREATE DATABASE movies")
    target = cluster.url(cluster.primary_port, "movies")
    dump = subprocess.Popen(
        [pgcluster.find_binary("pg_dump") or "pg_dump", "-Fc", "--no-owner", source_url],
        stdout=subprocess.PIPE,
    )
    restore = subprocess.run(
        [pgcluster.find_binary("pg_restore") or "pg_restore", "--no-owner", "-d", target],
        stdin=dump.stdout,
        capture_output=True,
        text=True,
    )
    dump.stdout.close()
    if dump.wait() != 0 or restore.returncode != 0:
        raise SystemExit(f"could not copy the demo database:\n{restore.stderr[-2000:]}")
    cluster.execute(cluster.primary_port, "VACUUM ANALYZE", database="movies")
    return target


def postmaster_pid(cluster: pgcluster.Cluster, name: str) -> int:
    return int((cluster.root / name / "postmaster.pid").read_text().split()[0])


def redis_ready(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used (None when it can); empties its database."""
    try:
        import redis
    except ImportError:
        return "the redis client is not installed"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError as error:
        return f"no Redis server at {url}: {error}"
    return None


# --- measuring -----------------------------------------------------------------------


@dataclass
class Side:
    """One configuration: its nodes' addresses and its signed-in clients."""

    name: str
    bases: list[str]
    anonymous: httpx.AsyncClient | None = None
    member: httpx.AsyncClient | None = None
    rater: httpx.AsyncClient | None = None  # posts ratings (and so reads the primary)
    results: dict[str, list[Result]] = field(default_factory=dict)
    busy: dict[str, list[float]] = field(default_factory=dict)
    # CPU milliseconds per answered request: (web nodes, database servers), per round
    cost: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    cpu: CpuUse = field(default_factory=CpuUse)

    def client(self, page: Page) -> httpx.AsyncClient:
        if page.method == "POST":
            return self.rater
        return self.member if page.signed_in else self.anonymous


async def measure(sides: list[Side], pages: list[Page], groups: dict[str, list[int]], args):
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=0)
    opened = []
    for side in sides:
        for role in ("anonymous", "member", "rater"):
            client = httpx.AsyncClient(base_url=side.bases[0], limits=limits, timeout=30)
            opened.append(client)
            setattr(side, role, client)
        await sign_in(side.member)
        await sign_in(side.rater)
        side.results = {page.name: [] for page in pages}
        side.busy = {page.name: [] for page in pages}
        side.cost = {page.name: [] for page in pages}
    try:
        for side in sides:  # warm up: workers, connections, caches, on every node
            for page in pages:
                await hammer(side.client(page), page, 0.5, args.connections, side.bases)
        for round_number in range(args.rounds):
            shift = round_number * 3 % len(pages)
            order = sides if round_number % 2 == 0 else sides[::-1]
            for page in pages[shift:] + pages[:shift]:
                for side in order:
                    before = CpuSample.take(groups)
                    result = await hammer(
                        side.client(page), page, args.seconds, args.connections, side.bases
                    )
                    after = CpuSample.take(groups)
                    side.results[page.name].append(result)
                    side.busy[page.name].append(side.cpu.add(before, after))
                    side.cost[page.name].append(request_cost(side.name, before, after, result))
            print(f"  round {round_number + 1} of {args.rounds} done", file=sys.stderr)
    finally:
        for client in opened:
            await client.aclose()


def p50(side: Side, name: str) -> float:
    latencies = [x for r in side.results[name] for x in r.latencies]
    return statistics.median(latencies) * 1000 if latencies else float("nan")


def rps(side: Side, name: str) -> float:
    return statistics.median(r.rps for r in side.results[name])


def report(sides: list[Side], args) -> None:
    one, two = sides
    print(
        f"\n{args.rounds} interleaved rounds of {args.seconds:g} s per page and "
        f"configuration, {args.connections} connections, {CPUS} CPUs; "
        "one = 1 node on the primary, two = 2 nodes + streaming replica (round robin)"
    )
    print(
        "| page | one: req/s | two: req/s | two/one | spread | one: p50 ms | two: p50 ms "
        "| CPU busy one / two (cores) | CPU ms/request one: web + db | failed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in one.results:
        ratios = [
            b.rps / a.rps
            for a, b in zip(one.results[name], two.results[name], strict=True)
            if a.rps
        ]

        failed = sum(r.failed for side in sides for r in side.results[name])
        print(
            f"| {name} | {rps(one, name):.0f} | {rps(two, name):.0f} | "
            f"{statistics.median(ratios):.2f} | "
            f"{min(ratios):.2f}-{max(ratios):.2f} | {p50(one, name):.1f} | {p50(two, name):.1f} | "
            f"{statistics.median(one.busy[name]):.2f} / "
            f"{statistics.median(two.busy[name]):.2f} | "
            f"{statistics.median(c[0] for c in one.cost[name]):.1f} + "
            f"{statistics.median(c[1] for c in one.cost[name]):.1f} | {failed} |"
        )
    parts = ["web nodes", "primary", "replica", "load generator", "everything else"]
    print("\nCPU while measuring, in cores (mean over all pages), of", CPUS, "cores")
    print("| configuration | machine busy | " + " | ".join(parts) + " |")
    print("|---|---:|" + "---:|" * len(parts))
    for side in sides:
        values = " | ".join(f"{side.cpu.cores(p, side.name):.2f}" for p in parts)
        print(f"| {side.name} | {side.cpu.cores('machine'):.2f} | {values} |")
    print("\nWhere it saturates:")
    for side in sides:
        busy = side.cpu.cores("machine")
        top = max(parts, key=lambda part, side=side: side.cpu.cores(part, side.name))
        share = side.cpu.cores(top, side.name) / busy if busy else 0.0
        if busy >= 0.85 * CPUS:
            verdict = (
                f"CPU-bound: the machine's {CPUS} cores are {busy / CPUS:.0%} busy; "
                f"{top} take {share:.0%} of it"
            )
        else:
            verdict = (
                f"not CPU-bound ({busy / CPUS:.0%} of {CPUS} cores busy; {top} take "
                f"{share:.0%}): bounded by the {args.connections} closed-loop connections "
                "and the sync workers' count"
            )
        print(f"- {side.name}: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    source = os.environ.get("DATABASE_URL")
    if not source:
        raise SystemExit("Set DATABASE_URL to a database holding the demo (seed_demo).")
    for reason in (pgcluster.unavailable_reason(), redis_ready(args.redis)):
        if reason:
            raise SystemExit(reason)
    started = time.monotonic()
    cluster = pgcluster.new_cluster(prefix="pg-scale-bench-")
    static_root = tempfile.mkdtemp(prefix="scale-bench-static-")
    sites = []
    try:
        cluster.start_primary()
        primary = restore_demo(source, cluster)
        cluster.start_replica()
        replica = cluster.url(cluster.replica_port, "movies")
        common = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URLS"},
            "DATABASE_URL": primary,
            "REDIS_URL": args.redis,
            "HTTPS": "0",
            "DEBUG": "0",
            "SECRET_KEY": "bench-scale-not-secret",
            "STATIC_ROOT": static_root,
            "AXES_ENABLED": os.environ.get("AXES_ENABLED", "0"),
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=BASE_DIR, env=common, check=True,
        )  # fmt: skip
        environments = {
            "one": {**common, "CACHE_KEY_PREFIX": "scale-one"},
            "two": {**common, "CACHE_KEY_PREFIX": "scale-two", "DATABASE_REPLICA_URLS": replica},
        }
        nodes: dict[str, list[tuple[int, object]]] = {"one": [], "two": []}
        for name, count in (("one", 1), ("two", 2)):
            for _ in range(count):
                port = free_port()
                site = start_site(port, environments[name])
                sites.append(site)
                nodes[name].append((port, site))
        print(f"  cluster and 3 nodes up in {time.monotonic() - started:.0f} s", file=sys.stderr)
        login = httpx.get(f"http://127.0.0.1:{nodes['one'][0][0]}/login/").text
        css = re.search(r'<link rel="stylesheet" href="([^"]+)"', login).group(1)
        pages = pick_pages(primary, css)
        groups = {
            **{f"web {name}": [site.pid for _, site in nodes[name]] for name in CONFIGURATIONS},
            "primary": [postmaster_pid(cluster, "primary")],
            "replica": [postmaster_pid(cluster, "replica")],
        }
        sides = [
            Side(name, [f"http://127.0.0.1:{port}" for port, _ in nodes[name]])
            for name in CONFIGURATIONS
        ]
        asyncio.run(measure(sides, pages, groups, args))
        replayed = cluster.execute(
            cluster.replica_port, "SELECT pg_is_in_recovery(), count(*) FROM ratings_rating",
            database="movies",
        )[0]  # fmt: skip
    finally:
        for site in sites:
            stop_site(site)
        cluster.stop()
        subprocess.run(["rm", "-rf", static_root], check=False)
        redis_ready(args.redis)
    report(sides, args)
    print(
        f"\nreplica in recovery: {replayed[0]}, ratings on it: {replayed[1]}; "
        f"whole run {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()

"""run_site keeps the worker running: a background process that exits is started again
after a backoff, and stopping the site (Ctrl-C, SIGTERM) stops everything without a
restart. Real processes, no database."""

import signal
import subprocess
import sys

from catalog.management.commands import run_site
from catalog.management.commands.run_site import Background, Supervisor

EXITS = [sys.executable, "-c", "import sys; sys.exit(3)"]
RUNS = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_an_exited_background_process_is_restarted_with_a_growing_wait(caplog):
    started = []

    def start(command):
        started.append(_exited(command))
        return started[-1]

    background = Background(EXITS, start)
    background.started_at = 0.0
    background.check(now=0.5)  # exited: restart planned in 1 s
    assert len(started) == 1 and background.restart_at == 1.5
    background.check(now=1.4)
    assert len(started) == 1
    background.check(now=1.5)
    assert len(started) == 2 and background.restarts == 1
    background.check(now=1.6)  # exited again soon after starting: 2 s this time
    assert background.restart_at == 3.6
    assert "exited with code 3; restarting in 1s" in caplog.text
    assert "exited with code 3; restarting in 2s" in caplog.text
    assert "Restarted -c import sys; sys.exit(3) (restart 1)" in caplog.text


def test_a_process_that_ran_a_while_is_restarted_after_the_first_wait_again():
    background = Background(EXITS, _exited)
    background.delay = 16.0
    background.started_at = 0.0
    background.check(now=run_site.STABLE_SECONDS + 1)
    assert background.restart_at == run_site.STABLE_SECONDS + 1 + run_site.RESTART_DELAY


def _exited(command):
    """Start the command and wait for it to exit (it exits at once)."""
    process = subprocess.Popen(command)
    process.wait()
    return process


def test_stopping_the_site_stops_every_process_and_restarts_none():
    supervisor = Supervisor(RUNS, [RUNS, EXITS], env=None)
    supervisor.stop(signal.SIGINT, None)
    supervisor.watch(interval=0.01)
    codes = [process.returncode for process in supervisor.processes()]
    assert codes[:2] == [-signal.SIGTERM, -signal.SIGTERM]
    assert [b.restarts for b in supervisor.background] == [0, 0]


def test_the_site_stops_when_gunicorn_exits_and_takes_the_worker_with_it():
    supervisor = Supervisor(EXITS, [RUNS], env=None)
    supervisor.main.wait()
    supervisor.watch(interval=0.01)
    assert supervisor.main.returncode == 3
    assert supervisor.background[0].process.returncode == -signal.SIGTERM

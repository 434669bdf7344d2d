"""The scale-out tests' PostgreSQL primary and streaming replica (bench/pgcluster.py,
shared with bench/scale.py), and pointing Django's connections at them."""

import contextlib
import copy

from django.db import connections

from bench.pgcluster import (  # noqa: F401  (re-exported for the tests)
    Cluster,
    find_binary,
    free_port,
    new_cluster,
    unavailable_reason,
)


def _settings_for(template: dict, url_port: int) -> dict:
    settings = copy.deepcopy(template)
    settings.update(
        NAME="movies", HOST="127.0.0.1", PORT=url_port, USER="postgres", PASSWORD="",
        CONN_MAX_AGE=0, TEST={"MIRROR": None, "NAME": None},
    )  # fmt: skip
    return settings


@contextlib.contextmanager
def use_cluster_databases(cluster):
    """Point "default" at the cluster's primary and add "replica_1" for the duration."""
    saved_default = connections["default"]
    saved_settings = connections.settings["default"]
    primary = _settings_for(saved_settings, cluster.primary_port)
    replica = _settings_for(saved_settings, cluster.replica_port)
    wrapper = type(saved_default)
    connections.settings["default"] = primary
    connections.settings["replica_1"] = replica
    connections["default"] = wrapper(primary, "default")
    connections["replica_1"] = wrapper(replica, "replica_1")
    try:
        yield
    finally:
        for alias in ("default", "replica_1"):
            connections[alias].close()
        del connections["replica_1"]
        del connections.settings["replica_1"]
        connections.settings["default"] = saved_settings
        connections["default"] = saved_default

"""Read replicas: a database router and the read-your-writes flag it follows.

Reads go to a replica (``settings.REPLICA_DATABASES``, from ``DATABASE_REPLICA_URLS``)
only inside a web request that ``ReplicaReadsMiddleware`` (core/middleware.py) marked
as safe: a GET or HEAD from a browser that has not written in the last
``REPLICA_STICKY_SECONDS``. Everything else reads the primary: writes and the requests
that make them, the worker and management commands (they read what they are about to
write), and any read inside a transaction on the primary. With no replica configured the
router answers ``None`` everywhere, which is Django's default behaviour.
"""

import random
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# True while a request may read from a replica (set by ReplicaReadsMiddleware).
replica_reads_allowed: ContextVar[bool] = ContextVar("replica_reads_allowed", default=False)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "REPLICA_DATABASES", []))


class PrimaryReplicaRouter:
    """Writes and migrations on the primary ("default"); reads on a random replica when
    the current request allows it."""

    def db_for_read(self, model, **hints):
        replicas = replica_aliases()
        if not replicas:
            return None
        if not replica_reads_allowed.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return random.choice(replicas)

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS if replica_aliases() else None

    def allow_relation(self, obj1, obj2, **hints):
        # Every replica holds the same rows as the primary.
        return True if replica_aliases() else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas receive the schema by replication, never by migrate.
        return db == DEFAULT_DB_ALIAS if replica_aliases() else None

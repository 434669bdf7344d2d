"""Deployment files and production settings."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_defines_db_and_web_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    db = services["db"]
    assert db["image"].startswith("postgres:16")
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])

    web = services["web"]
    assert web["build"] == "."
    assert web["ports"] == ["${WEB_PORTS:-8000}:8000"]  # a range of ports to scale web
    assert "migrate" in web["command"] and "gunicorn" in web["command"]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    env = web["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["DEBUG"] == "0"
    assert "SECRET_KEY" in env and "MEDIA_ROOT" in env
    assert any(volume.endswith(":/data/media") for volume in web["volumes"])
    assert set(compose["volumes"]) >= {"pgdata", "media"}


def test_compose_file_runs_the_background_worker_with_the_web_environment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    worker = compose["services"]["worker"]
    assert worker["build"] == "."
    assert worker["command"] == "python manage.py run_worker"
    assert worker["environment"] == compose["services"]["web"]["environment"]
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    assert worker["restart"] == "unless-stopped"


def test_compose_scale_profile_adds_redis_a_streaming_replica_and_object_storage():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    scaled = {name for name, service in services.items() if "scale" in service.get("profiles", [])}
    assert scaled == {"redis", "replica", "minio", "minio-bucket"}
    # The default services stay outside any profile: `docker compose up` is unchanged.
    assert all("profiles" not in services[name] for name in ("db", "web", "worker"))

    assert services["redis"]["image"].startswith("redis:")
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]

    # The primary allows streaming replication; the replica clones it with -R.
    db = services["db"]
    assert "wal_level=replica" in db["command"]
    init = "./deploy/postgres/allow-replication.sh:/docker-entrypoint-initdb.d/"
    assert any(volume.startswith(init) for volume in db["volumes"])
    hba_line = "host replication all all scram-sha-256"
    assert hba_line in (ROOT / "deploy/postgres/allow-replication.sh").read_text()
    replica = services["replica"]
    assert replica["image"] == db["image"]
    assert "pg_basebackup -h db" in replica["command"] and " -R " in replica["command"]
    assert "hot_standby=on" in replica["command"]
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(replica["healthcheck"]["test"])

    assert services["minio"]["image"].startswith("minio/minio")
    assert "9000:9000" in services["minio"]["ports"]
    assert "mc mb --ignore-existing store/movieratings" in services["minio-bucket"]["entrypoint"]
    assert set(compose["volumes"]) >= {"redis", "replica-pgdata", "minio"}

    # web and worker share one environment that points at them when deploy/scale.env
    # sets the variables, wait for them only when the profile is on, and scale (no
    # fixed container name, a range of host ports for web).
    env = services["web"]["environment"]
    shared = ["REDIS_URL", "DATABASE_REPLICA_URLS", "AWS_STORAGE_BUCKET_NAME"]
    shared += ["AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    for variable in shared:
        assert env[variable] == f"${{{variable}:-}}"
    for name in ("web", "worker"):
        assert "container_name" not in services[name]
        depends = services[name]["depends_on"]
        assert depends["redis"] == {"condition": "service_healthy", "required": False}
        assert depends["replica"] == {"condition": "service_healthy", "required": False}
        assert depends["minio-bucket"]["required"] is False
    scale_env = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy/scale.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert scale_env["REDIS_URL"] == "redis://redis:6379/0"
    assert scale_env["DATABASE_REPLICA_URLS"].endswith("@replica:5432/movieratings")
    assert scale_env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert scale_env["WEB_PORTS"] == "8000-8003"


def test_dockerfile_installs_project_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert "collectstatic" in dockerfile
    assert "gunicorn" in dockerfile


def test_check_deploy_is_clean_with_debug_off_and_a_secret_key():
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "movies.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

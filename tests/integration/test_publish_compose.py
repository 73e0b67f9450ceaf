"""compose.yaml and the Dockerfile, checked without a container engine (this opens no socket).

The structure is checked with PyYAML; `make compose-check` validates the file against the Compose schema
with `docker compose config` where a client is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_runs_postgres_nats_migrate_api_and_a_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "nats", "migrate", "api", "worker", "tail"}
    assert services["tail"]["profiles"] == ["tools"]  # a tool, run on demand
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    assert services["api"]["command"] == ["serve", "--no-workers"]
    assert services["worker"]["command"] == ["worker"]
    for name in ("migrate", "api", "worker"):
        env = services[name]["environment"]
        assert env["LEADSTORE_NATS_URL"] == "nats://nats:4222"
        assert "@postgres:5432/" in env["LEADSTORE_DATABASE_URL"]
        assert env["LEADSTORE_NATS_USER"] == "leadstore" and env["LEADSTORE_NATS_PASSWORD"]


def test_nats_lets_in_only_its_users_and_tail_reads_as_the_subscriber(compose: dict[str, Any]) -> None:
    nats, tail = compose["services"]["nats"], compose["services"]["tail"]
    config = nats["command"][nats["command"].index("-c") + 1]
    assert f"./nats-server.conf:{config}:ro" in nats["volumes"] and (ROOT / "nats-server.conf").is_file()
    assert {"NATS_PASSWORD", "NATS_SUBSCRIBER_PASSWORD"} <= set(nats["environment"])
    assert tail["entrypoint"] == ["leadstore", "tail"]
    assert tail["environment"]["LEADSTORE_NATS_USER"] == "subscriber"
    assert tail["environment"]["LEADSTORE_NATS_PASSWORD"] == "${NATS_SUBSCRIBER_PASSWORD:-subscriber}"


def test_the_api_and_worker_start_after_migrations_succeed(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["worker"]["depends_on"]["nats"] == {"condition": "service_healthy"}


def test_postgres_and_nats_keep_their_data_and_have_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    nats = services["nats"]
    assert "-js" in nats["command"] and nats["command"][nats["command"].index("-sd") + 1] == "/data"
    assert "natsdata:/data" in nats["volumes"]
    assert "http://127.0.0.1:8222/healthz" in nats["healthcheck"]["test"]
    assert set(compose["volumes"]) == {"pgdata", "natsdata"}


def test_every_port_is_published_on_the_loopback_only(compose: dict[str, Any]) -> None:
    ports = [port for service in compose["services"].values() for port in service.get("ports", [])]
    assert ports and all(str(port).startswith("127.0.0.1:") for port in ports)


def test_the_image_builds_the_package_and_runs_the_leadstore_command() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["leadstore"]' in dockerfile
    for needed in ("pyproject.toml", "src", "projections", "migrations"):
        assert f"COPY {needed}" in dockerfile or f" {needed} " in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests"} <= set(ignored)

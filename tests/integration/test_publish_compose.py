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
    assert {name for name, service in services.items() if "profiles" not in service} == {
        "postgres",
        "nats",
        "migrate",
        "api",
        "worker",
    }
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
    assert set(compose["volumes"]) == {"pgdata", "natsdata", "nats1data", "nats2data", "nats3data"}


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


# The cluster profile: three NATS nodes routed to one another, an API and a worker that know all three.

NODES = ("nats-1", "nats-2", "nats-3")


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_cluster_profile_runs_three_nats_nodes_an_api_a_worker_and_a_tail(compose: dict[str, Any]) -> None:
    services = compose["services"]
    in_profile = {name for name, service in services.items() if "cluster" in service.get("profiles", [])}
    assert in_profile == {*NODES, "api-cluster", "worker-cluster"}
    assert services["tail-cluster"]["profiles"] == ["cluster-tools"]  # on demand; it brings the nodes with it
    assert all("cluster-tools" in services[node]["profiles"] for node in NODES)
    assert services["api-cluster"]["command"] == ["serve", "--no-workers"]
    assert services["worker-cluster"]["command"] == ["worker"]
    assert services["tail-cluster"]["entrypoint"] == ["leadstore", "tail"]
    assert services["api-cluster"]["ports"] != services["api"]["ports"]  # both stacks can run side by side


def test_each_node_has_jetstream_its_own_store_the_same_users_and_routes_to_the_other_two(
    compose: dict[str, Any],
) -> None:
    services, single = compose["services"], compose["services"]["nats"]
    for node in NODES:
        service, command = services[node], services[node]["command"]
        assert "-js" in command and option(command, "-sd") == "/data"
        assert f"{node.replace('-', '')}data:/data" in service["volumes"]
        assert option(command, "-c") == option(single["command"], "-c")  # nats-server.conf: the same users
        assert set(single["volumes"]) - {"natsdata:/data"} <= set(service["volumes"])
        assert service["environment"] == single["environment"] and service["healthcheck"] == single["healthcheck"]
        assert option(command, "--server_name") == node and option(command, "--cluster_name") == "leadstore"
        assert option(command, "--cluster") == "nats://0.0.0.0:6222"
        routes = option(command, "--routes").split(",")
        assert sorted(routes) == [f"nats://{other}:6222" for other in NODES if other != node]


def test_the_cluster_api_worker_and_tail_know_every_node_and_keep_three_replicas(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api-cluster", "worker-cluster", "tail-cluster"):
        env = services[name]["environment"]
        assert env["LEADSTORE_NATS_URL"].split(",") == [f"nats://{node}:4222" for node in NODES]
        assert env["LEADSTORE_NATS_STREAM_REPLICAS"] == "3"
        assert env["LEADSTORE_DATABASE_URL"] == services["api"]["environment"]["LEADSTORE_DATABASE_URL"]
    assert services["worker-cluster"]["environment"]["LEADSTORE_NATS_USER"] == "leadstore"
    assert services["tail-cluster"]["environment"]["LEADSTORE_NATS_USER"] == "subscriber"
    for name in ("worker-cluster", "tail-cluster"):
        assert all(services[name]["depends_on"][node] == {"condition": "service_healthy"} for node in NODES)
    assert services["api-cluster"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["worker-cluster"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}

"""GET /metrics: the Prometheus text format, no key, not in the OpenAPI document; requests by route template,
commands by outcome, events appended, each reader's lag and the connection pool."""

from __future__ import annotations

import copy
from pathlib import Path

import httpx
import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from leadstore.bootstrap import Container
from leadstore.embedded import free_port
from leadstore.http.metrics_server import metrics_server
from leadstore.http.testing import serve
from leadstore.metrics_multiprocess import MULTIPROCESS_ENV
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client, create, settle

Labels = dict[str, str]


async def scrape(api: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of one scrape, by name and labels."""
    async with httpx.AsyncClient(base_url=api) as http:
        text = (await http.get("/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_are_served_without_a_key_in_the_prometheus_text_format(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE leadstore_auth_failures_total counter" in response.text
    assert 'leadstore_rate_limited_total{kind="key"}' in response.text
    assert 'leadstore_rate_limited_total{kind="address"}' in response.text


async def test_requests_are_counted_and_timed_by_route_template_never_by_path(api: str, account: NewAccount) -> None:
    before = await scrape(api)
    async with client(api, account.api_key) as http:
        lead = await create(http)
        assert (await http.get(f"/v1/leads/{lead['id']}")).status_code == 200
        assert (await http.get(f"/nowhere/{lead['id']}")).status_code == 404
        assert (await http.request("PROPFIND", "/v1/leads")).status_code == 405
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    read = {"method": "GET", "route": "/v1/leads/{lead_id}"}
    assert delta("leadstore_http_requests_total", **read, status="200") == 1
    assert delta("leadstore_http_requests_total", method="POST", route="/v1/leads", status="201") == 1
    assert delta("leadstore_http_requests_total", method="GET", route="-", status="404") == 1
    assert delta("leadstore_http_requests_total", method="other", route="-", status="405") == 1
    assert delta("leadstore_http_request_duration_seconds_count", **read) == 1
    assert delta("leadstore_http_request_duration_seconds_bucket", **read, le="+Inf") == 1
    assert delta("leadstore_http_request_duration_seconds_sum", **read) > 0
    assert not [key for key in after if any(lead["id"] in label for _, label in key[1])]


async def test_commands_are_counted_by_outcome_with_the_events_they_appended(api: str, account: NewAccount) -> None:
    before = await scrape(api)
    async with client(api, account.api_key) as http:
        lead = await create(http, email="counted@example.com")
        path = f"/v1/leads/{lead['id']}"
        assert (await http.patch(path, json={"company": "Acme"})).status_code == 200
        assert (await http.patch(path, json={"company": "Acme"})).status_code == 200  # nothing to change
        assert (await http.patch(path, json={"company": "B"}, headers={"If-Match": '"1"'})).status_code == 412
        assert (
            await http.post("/v1/leads", json={"first_name": "A", "email": "counted@example.com"})
        ).status_code == 409
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("leadstore_commands_total", command="CreateLead", outcome="ok") == 1
    assert delta("leadstore_commands_total", command="CreateLead", outcome="duplicate_email") == 1
    assert delta("leadstore_commands_total", command="UpdateLead", outcome="ok") == 1
    assert delta("leadstore_commands_total", command="UpdateLead", outcome="unchanged") == 1
    assert delta("leadstore_commands_total", command="UpdateLead", outcome="version_conflict") == 1
    assert delta("leadstore_events_appended_total") == 2


async def test_each_readers_lag_is_measured_at_scrape_time(api: str, container: Container, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await create(http)
    behind = await scrape(api)  # no projector runs in this module's API: the new lead waits
    await settle(container.runner("lead_list"))
    caught_up = await scrape(api)

    assert value(behind, "leadstore_reader_lag_events", reader="lead_list") >= 1
    assert value(behind, "leadstore_reader_lag_seconds", reader="lead_list") > 0
    assert value(caught_up, "leadstore_reader_lag_events", reader="lead_list") == 0
    assert value(caught_up, "leadstore_reader_lag_seconds", reader="lead_list") == 0
    readers = {dict(labels)["reader"] for name, labels in caught_up if name == "leadstore_reader_lag_events"}
    assert readers == {runner.name for runner in container.runners}
    assert ("leadstore_db_oldest_transaction_seconds", frozenset()) in caught_up


async def test_the_connection_pool_is_reported(api: str, container: Container) -> None:
    samples = await scrape(api)

    def pool(state: str) -> float:
        return value(samples, "leadstore_db_pool_connections", state=state)

    assert pool("max") == container.settings.pool_max_size
    assert pool("size") >= 1 and pool("size") == pool("idle") + pool("in_use") and pool("in_use") >= 0


async def test_with_a_metrics_port_metrics_are_served_there_and_not_on_the_api_port(container: Container) -> None:
    port = free_port()
    own = copy.copy(container)
    own.settings = msgspec.structs.replace(container.settings, metrics_port=port)
    async with serve(own) as api, httpx.AsyncClient() as http:
        on_api_port = await http.get(f"{api}/metrics")
        health = await http.get(f"{api}/health")
        scraped = await http.get(f"http://127.0.0.1:{port}/metrics")
        only_metrics = await http.get(f"http://127.0.0.1:{port}/health")

    assert on_api_port.status_code == 404 and health.status_code == 200
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'leadstore_http_requests_total{method="GET",route="/health",status="200"}' in scraped.text
    assert 'leadstore_reader_lag_events{reader="lead_list"}' in scraped.text
    assert only_metrics.status_code == 404


async def test_in_multiprocess_mode_every_api_process_binds_the_metrics_port(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    own = copy.copy(container)
    own.settings = msgspec.structs.replace(container.settings, metrics_port=port)
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))  # as the API processes of `serve --processes` inherit it
    async with metrics_server(own) as first, metrics_server(own) as second, httpx.AsyncClient() as http:
        scraped = await http.get(f"{first}/metrics")

    assert first == second == f"http://127.0.0.1:{port}" and scraped.status_code == 200
    assert 'leadstore_reader_lag_events{reader="lead_list"}' in scraped.text

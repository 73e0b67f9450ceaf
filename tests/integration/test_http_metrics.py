"""GET /metrics: the Prometheus text format, no key, not in the OpenAPI document."""

from __future__ import annotations

import httpx


async def test_metrics_are_served_without_a_key_in_the_prometheus_text_format(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE leadstore_auth_failures_total counter" in response.text
    assert 'leadstore_rate_limited_total{kind="key"}' in response.text
    assert 'leadstore_rate_limited_total{kind="address"}' in response.text

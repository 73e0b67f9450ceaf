"""`leadstore serve` as deployed: JSON log lines on stderr by default, /metrics on LEADSTORE_METRICS_PORT."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from leadstore.bootstrap import Container
from leadstore.embedded import free_port


def get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def wait_for(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} never answered")


def test_serve_logs_json_lines_and_serves_metrics_on_their_own_port(container: Container) -> None:
    exe = shutil.which("leadstore", path=str(Path(sys.executable).parent))
    assert exe is not None
    api_port, metrics_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("LEADSTORE_")}
    env |= {
        "LEADSTORE_DATABASE_URL": container.settings.database_url,  # migrated by the fixture
        "LEADSTORE_KEK": os.environ["LEADSTORE_KEK"],  # the session's throwaway one (tests/conftest.py)
        "LEADSTORE_PORT": str(api_port),
        "LEADSTORE_METRICS_PORT": str(metrics_port),
    }
    proc = subprocess.Popen([exe, "serve", "--no-workers"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{api_port}/health", proc)
        refused, _ = get(f"http://127.0.0.1:{api_port}/v1/leads", Authorization="Bearer lsk_not-a-key")
        on_api_port, _ = get(f"http://127.0.0.1:{api_port}/metrics")
        scraped, metrics = get(f"http://127.0.0.1:{metrics_port}/metrics")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)

    assert (refused, on_api_port, scraped) == (401, 404, 200)
    assert 'leadstore_auth_failures_total{reason="unknown_key"} 1.0' in metrics
    assert 'leadstore_http_requests_total{method="GET",route="/v1/leads",status="401"} 1.0' in metrics
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is one JSON object
    access = [line for line in lines if line["logger"] == "leadstore.access" and line["route"] == "/v1/leads"]
    assert len(access) == 1 and access[0]["status"] == 401 and access[0]["account_id"] is None
    assert {"time", "level", "message", "request_id", "duration_ms", "method"} <= access[0].keys()
    assert "lsk_not-a-key" not in stderr

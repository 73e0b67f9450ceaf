"""The access log's switch: on in `serve`, off in `dev`, never uvicorn's as well."""

from __future__ import annotations

from litestar import Litestar

from leadstore.cli.run import access_log
from leadstore.http.access_log import AccessLog
from leadstore.http.reading import BoundedBodies
from leadstore.http.server import server_config
from leadstore.http.shutdown import CutAtShutdown
from leadstore.settings import Settings


def test_the_access_log_is_on_in_serve_and_off_in_dev_unless_set() -> None:
    assert (access_log(Settings(), True), access_log(Settings(), False)) == (True, False)
    assert access_log(Settings(access_log=False), True) is False
    assert access_log(Settings.from_env({"LEADSTORE_ACCESS_LOG": "true"}), False) is True


def test_the_access_log_is_ours_and_never_uvicorns_too() -> None:
    app = Litestar()
    logged = server_config(app, host="127.0.0.1", port=1, proxies="", access_log=True)
    silent = server_config(app, host="127.0.0.1", port=1, proxies="")
    assert isinstance(logged.app, AccessLog) and logged.access_log is False
    assert isinstance(silent.app, CutAtShutdown) and isinstance(silent.app.app, BoundedBodies)
    assert silent.app.app.app is app and silent.access_log is False

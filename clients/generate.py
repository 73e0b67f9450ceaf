"""Generate the Python client of the leadstore API from its OpenAPI document.

`make client` runs it with no argument: it writes clients/openapi.json (what `leadstore openapi` prints, the
document the API serves) and regenerates clients/python from it. The tests run it on the document a running
server serves, into a folder of their own, then drive the API through that client and compare the client with
clients/python. Any warning of the generator is an error: it means an operation or a response was left out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent
CONFIG = CLIENTS / "openapi-python-client.yaml"
SCHEMA = CLIENTS / "openapi.json"
PYTHON_CLIENT = CLIENTS / "python"
PACKAGE = "leadstore_client"
LEFT_OUT = (".ruff_cache",)  # made by the generator's ruff hooks: not part of the client


def generate(schema: Path, output: Path) -> list[str]:
    """Generate the client of `schema` into `output` (replacing it); the generator's warnings, if any."""
    bin_dir = Path(sys.executable).parent  # the generator and the ruff its hooks run, of this environment
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(bin_dir / "openapi-python-client"), "generate", "--path", str(schema), "--meta", "uv"]
    command += ["--config", str(CONFIG), "--output-path", str(output), "--overwrite"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for name in LEFT_OUT:
        shutil.rmtree(output / name, ignore_errors=True)
    lines = [line.strip() for line in (done.stdout + done.stderr).splitlines()]
    warnings = [line for line in lines if line and not line.startswith("Generating ")]
    if done.returncode != 0 and not warnings:
        warnings = [f"openapi-python-client exited with {done.returncode}"]
    return warnings


def write_schema(path: Path) -> None:
    """The document the API serves, built from the code (`leadstore openapi`): no database or server."""
    from leadstore.cli.openapi import document_text
    from leadstore.http.app import openapi_document

    path.write_text(document_text(openapi_document()), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, help="an OpenAPI document (default: write clients/openapi.json)")
    parser.add_argument("--output", type=Path, default=PYTHON_CLIENT, help="default: clients/python")
    args = parser.parse_args()
    schema = args.schema
    if schema is None:
        schema = SCHEMA
        write_schema(schema)
    warnings = generate(schema, args.output)
    for line in warnings:
        print(f"generator warning: {line}", file=sys.stderr)
    return 1 if warnings else 0


if __name__ == "__main__":
    sys.exit(main())

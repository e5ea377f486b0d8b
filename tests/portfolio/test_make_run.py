"""`make run` serves on the port given (PORT on the command line or in the environment)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def planned_run(*args: str, **env: str) -> str:
    """What `make run` would do, without doing it (`make -n`)."""
    return subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "PORT"}, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(
    "args, env, port",
    [((), {}, "8000"), (("PORT=8001",), {}, "8001"), ((), {"PORT": "8002"}, "8002")],
)
def test_it_serves_on_the_port_given(args, env, port):
    assert f"runserver 127.0.0.1:{port}" in planned_run(*args, **env)

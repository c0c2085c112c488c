"""Bad configuration stops start-up with a message naming the problem, not a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args, **env_overrides):
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_malformed_debug_stops_manage_py_naming_the_variable():
    result = run(["manage.py", "check"], DEBUG="maybe")
    assert result.returncode == 1
    assert "Environment variable DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_secret_key_in_production_names_the_variable():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "SECRET_KEY is required" in result.stderr


def test_wrong_database_scheme_names_the_variable():
    result = run(["manage.py", "check"], DATABASE_URL="mysql://root@localhost/crm")
    assert result.returncode == 1
    assert "DATABASE_URL must be a URL with scheme postgres, postgresql" in result.stderr


def test_run_py_refuses_a_taken_port_with_a_clear_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["run.py"], PORT=str(port), HOST="127.0.0.1")
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_py_refuses_an_unusable_data_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(["run.py"], CRM_DATA_DIR=str(blocker / "data"), PORT="0")
    assert result.returncode == 2
    assert f"cannot create the data folder {blocker / 'data'}" in result.stderr
    assert "Traceback" not in result.stderr

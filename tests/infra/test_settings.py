"""Settings come from the environment; production mode passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-" + "k3y" * 12,
    "ALLOWED_HOSTS": "concord.example.org",
    "DATABASE_URL": "sqlite:////tmp/concord-deploy-check.sqlite3",
}


# DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests of the same run; a deployment
# must never have it, and the deploy check says so.
EXCLUDED_FROM_PARENT = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in EXCLUDED_FROM_PARENT}
    return subprocess.run(  # noqa: PLW1510 - the return code is asserted
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_in_production_names_the_variable(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", CONCORD_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_setup_writes_a_private_random_key_once_and_settings_use_it(tmp_path):
    write_key = [sys.executable, ".ci/local-secret-key"]
    run_env = {**os.environ, "CONCORD_VAR_DIR": str(tmp_path)}
    subprocess.run(write_key, cwd=ROOT, env=run_env, check=True, timeout=60)
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    subprocess.run(write_key, cwd=ROOT, env=run_env, check=True, timeout=60)
    assert key_file.read_text() == first and len(first.strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600

    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", CONCORD_VAR_DIR=str(tmp_path), **env)
    assert result.returncode == 0, result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("file-secret-" + "x" * 50)
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", SECRET_KEY_FILE=str(secret), **env)
    assert result.returncode == 0, result.stderr


def test_bad_boolean_names_the_variable():
    result = manage("check", **{**PRODUCTION, "DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_bad_database_url_names_the_variable():
    result = manage("check", **{**PRODUCTION, "DATABASE_URL": "nosuchdb://x"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_bad_trusted_proxy_count_names_the_variable():
    for value in ("one", "-1"):
        result = manage("check", **{**PRODUCTION, "TRUSTED_PROXY_COUNT": value})
        assert result.returncode != 0
        assert "TRUSTED_PROXY_COUNT" in result.stderr

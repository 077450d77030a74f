"""Settings come from the environment; production mode passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from coordination.redis_config import redacted, redis_locations

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-" + "k3y" * 12,
    "ALLOWED_HOSTS": "concord.example.org",
    "DATABASE_URL": "sqlite:////tmp/concord-deploy-check.sqlite3",
}


# DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests of the same run; a deployment
# must never have it, and the deploy check says so.
# The Redis of the test run has no password: the production check gets its own.
EXCLUDED_FROM_PARENT = {
    "DEBUG",
    "SECRET_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "REDIS_URL",
    "CACHE_REDIS_URL",
    "SESSION_REDIS_URL",
    "AUDIT_BUFFER_URL",
}


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


def test_production_settings_with_a_password_protected_redis_pass_the_deploy_check(tmp_path):
    url_file = tmp_path / "redis_url"
    url_file.write_text("rediss://concord:s3cret@redis.example.org:6380/4\n")
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", REDIS_URL_FILE=str(url_file), **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_about_redis_without_password_and_a_cache_in_the_broker_database():
    broker = "redis://127.0.0.1:6379/4"
    result = manage("check", "--deploy", REDIS_URL=broker, CACHE_REDIS_URL=broker, **PRODUCTION)
    assert "concord.W001" in result.stderr + result.stdout
    assert 'concord.W002) The cache "default"' in result.stderr + result.stdout


@pytest.mark.parametrize("variable", ["REDIS_URL", "CACHE_REDIS_URL", "SESSION_REDIS_URL"])
def test_bad_redis_url_names_the_variable(variable):
    result = manage("check", **{**PRODUCTION, variable: "redis://127.0.0.1:6379/first"})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}:" in result.stderr


def test_cache_and_sessions_default_to_the_two_databases_after_the_broker():
    broker, cache, sessions = redis_locations("redis://:pw@redis.internal:6380/3")
    assert (cache, sessions) == (
        "redis://:pw@redis.internal:6380/4",
        "redis://:pw@redis.internal:6380/5",
    )
    assert broker == "redis://:pw@redis.internal:6380/3"

    _, cache, sessions = redis_locations("unix:///run/redis.sock?db=0&password=pw")
    assert (cache, sessions) == (
        "unix:///run/redis.sock?db=1&password=pw",
        "unix:///run/redis.sock?db=2&password=pw",
    )


def test_cache_and_session_urls_given_are_used_as_they_are():
    locations = redis_locations(
        "redis://broker:6379/0", "redis://cache:6379/0", "rediss://sessions:6379/0"
    )
    assert locations == (
        "redis://broker:6379/0",
        "redis://cache:6379/0",
        "rediss://sessions:6379/0",
    )


def test_without_redis_nothing_is_derived():
    assert redis_locations("", "", "") == ("", "", "")


@pytest.mark.parametrize(
    ("urls", "variable"),
    [
        (("http://127.0.0.1:6379/0",), "REDIS_URL"),
        (("redis://127.0.0.1:port/0",), "REDIS_URL"),
        (("redis:///0",), "REDIS_URL"),
        (("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/-1"), "CACHE_REDIS_URL"),
        (("redis://127.0.0.1:6379/0", "", "memcached://x"), "SESSION_REDIS_URL"),
        # Database 14 + 2 is past the 16 databases of a Redis server.
        (("redis://127.0.0.1:6379/14",), "REDIS_URL"),
    ],
)
def test_a_bad_redis_url_is_refused_with_the_variable_name(urls, variable):
    with pytest.raises(ImproperlyConfigured, match=rf"^{variable}:"):
        redis_locations(*urls)


def test_a_password_is_never_shown_in_messages():
    assert redacted("redis://concord:s3cret@h:6379/0") == "redis://concord:***@h:6379/0"
    assert "s3cret" not in redacted("unix:///run/redis.sock?db=1&password=s3cret")
    with pytest.raises(ImproperlyConfigured) as refused:
        redis_locations("redis://:s3cret@h:6379/zero")
    assert "s3cret" not in str(refused.value)


def test_bad_trusted_proxy_count_names_the_variable():
    for value in ("one", "-1"):
        result = manage("check", **{**PRODUCTION, "TRUSTED_PROXY_COUNT": value})
        assert result.returncode != 0
        assert "TRUSTED_PROXY_COUNT" in result.stderr

"""What the benchmark scripts share: serving Concord with gunicorn and signing in to it.

``run_bench.py``, ``mixed_traffic.py`` and ``two_instances.py`` start gunicorn the same
way (DEBUG off, a throwaway ``CONCORD_VAR_DIR``, loopback only), sign in through the real
login form, and stop what they started, whatever happens. Only loopback traffic; every
wait is bounded.
"""

import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_USERNAME = "bench"
BENCH_PASSWORD = "concord-bench-password"  # bench/seed_scale.py gives it to every seeded user
HOST = "127.0.0.1"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(
    database_url,
    var_dir,
    *,
    redis_url="",
    audit_reads=True,
    secret_key=None,
):
    """The environment of a benchmark server (and of the in-process Django that plans it).

    Servers meant to work as one (``two_instances.py``) share ``secret_key`` and
    ``var_dir`` (media, the file cache and broker when there is no Redis).
    """
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="coordination.settings",
        DEBUG="false",
        SECRET_KEY=secret_key or secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        ALLOWED_HOSTS=HOST,
        CONCORD_VAR_DIR=str(var_dir),  # cache, media, Celery queue: a throwaway directory
        STATIC_ROOT=str(Path(var_dir) / "staticfiles"),
        LOG_LEVEL="WARNING",
        MFA_REQUIRED="false",  # the benchmark users sign in with the password alone
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url  # sessions and the cache shared by the workers
    if not audit_reads:
        env["DJANGO_SETTINGS_MODULE"] = "bench.settings_without_audit_reads"
    return env


def manage(env, *args, timeout=600):
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True, timeout=timeout
    )


def ensure_command(command, package=None):
    """The path of ``command``, installed with ``apt-get install -y PACKAGE`` if missing."""
    if shutil.which(command):
        return shutil.which(command)
    package = package or command
    print(f"{command} not found: apt-get install -y {package}", flush=True)
    subprocess.run(["apt-get", "install", "-y", package], check=True, timeout=600)
    path = shutil.which(command)
    if not path:
        sys.exit(f"{command} is still missing after apt-get install {package}")
    return path


def ensure_wrk():
    return ensure_command("wrk")


def request(port, method, path, headers=None, body=None, timeout=30, host=HOST):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def cookies_from(headers):
    """name -> value from Set-Cookie headers (the Secure flag is ignored on loopback)."""
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            found[key.strip()] = val.strip()
    return found


def wait_healthy(port, process=None, limit=60, what="gunicorn"):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            status, _headers, _body = request(port, "GET", "/health/", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer /health/ within {limit} s")


CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(port, username=BENCH_USERNAME, password=BENCH_PASSWORD):
    """POST the login form like a browser; return the Cookie header of the session."""
    return sign_in_cookies(port, username, password)["header"]


def sign_in_cookies(port, username=BENCH_USERNAME, password=BENCH_PASSWORD):
    """Sign in through the login form; ``{"sessionid", "csrftoken", "header"}``."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    if status != 200:
        raise RuntimeError(f"GET /accounts/login/ answered {status}")
    cookies = cookies_from(headers)
    match = CSRF_FIELD.search(body)
    if not match or "csrftoken" not in cookies:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match[1].decode(), "username": username, "password": password}
    )
    status, headers, _body = request(
        port,
        "POST",
        "/accounts/login/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Origin": f"http://{HOST}:{port}",
            "Referer": f"http://{HOST}:{port}/accounts/login/",
        },
        body=form,
    )
    session = cookies_from(headers).get("sessionid")
    if status != 302 or not session:
        raise RuntimeError(
            f"sign-in of {username} failed (status {status}); seeded with bench/seed_scale.py?"
        )
    csrf = cookies_from(headers).get("csrftoken", cookies["csrftoken"])
    return {
        "sessionid": session,
        "csrftoken": csrf,
        "header": f"sessionid={session}; csrftoken={csrf}",
    }


def start_gunicorn(env, port, *, workers=2, threads=1, log_level="warning", prefix=()):
    """gunicorn serving ``coordination.wsgi`` on 127.0.0.1:port, in a process group of its own.

    ``prefix``: a command to run it under (``taskset -c 1``).
    """
    command = [*prefix,
        str(Path(PYTHON).parent / "gunicorn"), "coordination.wsgi",
        "--workers", str(workers), "--bind", f"{HOST}:{port}",
        "--log-level", log_level, "--timeout", "60", "--threads", str(threads),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def start_celery_worker(env, *, beat=False, name="worker", log_file=None, prefix=()):
    """A Celery worker (solo pool) in a process group of its own; ``beat`` runs the schedule."""
    command = [*prefix,
        PYTHON, "-m", "celery", "-A", "coordination", "worker", "--pool=solo",
        "--without-gossip", "--without-mingle", "--loglevel=warning",
        "-n", f"{name}@%h",
    ]  # fmt: skip
    if beat:
        command += ["-B", "-s", str(Path(env["CONCORD_VAR_DIR"]) / f"beat-{name}")]
    output = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=output
    )


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_latency(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def machine():
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    except (OSError, TypeError):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def stop(process, timeout=20):
    """Stop a process started with ``start_new_session`` and its children (its group)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

"""Two app servers side by side behind nginx, measured with the mixed-traffic benchmark.

Usage (after ``bench/seed_scale.py`` has filled the database; Redis is required, as in
any deployment of more than one server)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/two_instances.py --redis-url redis://127.0.0.1:6379/0 \\
        [--workers 1] [--pin] [--instances 1]
        [mixed_traffic.py options, e.g. --duration 30 --users 60]

Steps: ``migrate`` and ``collectstatic`` once, then two gunicorn instances (``--workers``
sync workers each) and two Celery workers (the first with beat), all on the same
PostgreSQL database and Redis, with one ``SECRET_KEY`` and one ``CONCORD_VAR_DIR`` (so one
``MEDIA_ROOT``) as two hosts would share them. nginx (Debian package ``nginx``, installed
with apt-get if missing) runs in the foreground from a temporary prefix, with an upstream
of both instances (round robin, ``TRUSTED_PROXY_COUNT=1`` on the instances), and logs
which instance answered each request. ``bench/mixed_traffic.py --base-url`` then runs
against nginx; the report adds how many requests each instance answered. ``--pin`` puts
each instance and its Celery worker on a CPU of its own (``taskset``), to see how the
throughput follows the cores given; ``--instances 1`` runs the same proxy and load with one
instance and one worker, for the comparison. Everything is stopped at the end, even on
failure.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import (
    HOST,
    PYTHON,
    ROOT,
    ensure_command,
    ensure_wrk,
    free_port,
    manage,
    server_env,
    start_celery_worker,
    start_gunicorn,
    stop,
    wait_healthy,
)

NGINX_CONFIG = """\
{user}worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$upstream_addr $status';
    access_log {prefix}/access.log upstream buffer=64k flush=1s;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 200m;
    upstream concord {{
{servers}
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://concord;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 120s;
            proxy_request_buffering off;
        }}
    }}
}}
"""


def nginx_config(prefix, port, upstream_ports):
    servers = "\n".join(f"        server {HOST}:{p};" for p in upstream_ports)
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the temp paths
    return NGINX_CONFIG.format(user=user, prefix=prefix, host=HOST, port=port, servers=servers)


def start_nginx(prefix, port, upstream_ports):
    nginx = ensure_command("nginx")
    prefix.mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(nginx_config(prefix, port, upstream_ports))
    # -e: the start-up error log too stays in the prefix (nothing written under /var/log).
    subprocess.run(
        [nginx, "-t", "-q", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config)],
        check=True,
        timeout=30,
    )
    return subprocess.Popen(
        [nginx, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config)],
        start_new_session=True,
    )


def stop_nginx(process):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGQUIT)  # graceful: finishes, flushes the access log
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        stop(process, timeout=5)


def answered_by(access_log, ports):
    """Requests each instance answered, from nginx's access log (``$upstream_addr``)."""
    counts = {port: 0 for port in ports}
    other = 0
    if access_log.exists():
        for line in access_log.read_text().splitlines():
            upstream = line.split(" ", 1)[0]
            port = upstream.rsplit(":", 1)[-1]
            if port.isdigit() and int(port) in counts:
                counts[int(port)] += 1
            else:
                other += 1
    return counts, other


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Other options go to bench/mixed_traffic.py.",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance")
    parser.add_argument(
        "--instances",
        type=int,
        choices=(1, 2),
        default=2,
        help="1 to compare: the same proxy and load with one instance (and one worker)",
    )
    parser.add_argument(
        "--pin", action="store_true", help="each instance (and its worker) on a CPU of its own"
    )
    parser.add_argument(
        "--json", help="the mixed-traffic figures, with the instances' settings and shares"
    )
    args, forwarded = parser.parse_known_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL (or --database-url) to the seeded PostgreSQL database")
    if not args.redis_url:
        sys.exit("two instances share sessions and caches through Redis: set --redis-url")
    ensure_command("nginx")
    ensure_wrk()
    cpus = os.cpu_count() or 1
    if args.pin and cpus < 2:
        sys.exit("--pin needs two CPUs")

    var_dir = Path(tempfile.mkdtemp(prefix="concord-two-"))
    env = server_env(
        args.database_url,
        var_dir,
        redis_url=args.redis_url,
        secret_key=secrets.token_urlsafe(50),
    )
    env["TRUSTED_PROXY_COUNT"] = "1"  # nginx appends the client's address
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")

    ports = [free_port() for _ in range(args.instances)]
    nginx_port = free_port()
    processes, nginx = [], None
    status = 1
    try:
        taskset = ensure_command("taskset", "util-linux") if args.pin else None
        for n, port in enumerate(ports):
            # children inherit the CPU: gunicorn's workers, the worker's beat
            prefix = (taskset, "-c", str(n % cpus)) if args.pin else ()
            processes.append(start_gunicorn(env, port, workers=args.workers, prefix=prefix))
            processes.append(
                start_celery_worker(
                    env,
                    beat=n == 0,
                    name=f"two{n + 1}",
                    log_file=var_dir / "celery.log",
                    prefix=prefix,
                )
            )
        for port, process in zip(ports, processes[::2], strict=True):
            wait_healthy(port, process)
        nginx = start_nginx(var_dir / "nginx", nginx_port, ports)
        wait_healthy(nginx_port, nginx, what="nginx")
        listed = " and ".join(f"{HOST}:{port}" for port in ports)
        print(f"instances on {listed}, nginx on {HOST}:{nginx_port}", flush=True)
        command = [
            PYTHON, str(ROOT / "bench" / "mixed_traffic.py"),
            "--base-url", f"http://{HOST}:{nginx_port}",
            "--database-url", args.database_url, "--redis-url", args.redis_url,
            *forwarded, *(["--json", args.json] if args.json else []),
        ]  # fmt: skip
        status = subprocess.run(command, cwd=ROOT, check=False).returncode
    finally:
        stop_nginx(nginx)
        for process in reversed(processes):
            stop(process)
        counts, other = answered_by(var_dir / "nginx" / "access.log", ports)
        total = sum(counts.values())
        if total:
            shares = ", ".join(
                f"instance {n}: {counts[port]} ({100 * counts[port] / total:.0f} %)"
                for n, port in enumerate(ports, start=1)
            )
            print("answered by " + shares + (f", not proxied: {other}" if other else ""))
        shutil.rmtree(var_dir, ignore_errors=True)
        if args.json and status == 0 and Path(args.json).exists():
            figures = json.loads(Path(args.json).read_text())
            figures["instances"] = {
                "count": args.instances,
                "gunicorn_workers_each": args.workers,
                "celery_workers": args.instances,
                "pinned": args.pin,
                "proxy": "nginx, round robin",
                "answered": [counts[port] for port in ports],
                "not_proxied": other,
            }
            Path(args.json).write_text(json.dumps(figures, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())

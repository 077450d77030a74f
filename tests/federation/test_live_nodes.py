"""The live nodes of the federation tests are started only once their worker takes tasks,
and a worker that does not come up fails the start with its log."""

import subprocess

import pytest

from bench.server import start_celery_worker
from tests.federation.live import Node

pytestmark = [pytest.mark.federation]

DB = {"USER": "postgres", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": 5432}


def test_a_worker_that_exits_fails_the_start_with_the_tail_of_its_log(tmp_path):
    node = Node("xx-node", "unused", tmp_path / "n", DB,
                env={"DJANGO_SETTINGS_MODULE": "no_such_settings_module"})  # fmt: skip
    node.var_dir.mkdir(parents=True)
    node.processes = [
        None,
        start_celery_worker(node.env, beat=True, name=node.name, log_file=node.worker_log),
    ]
    try:
        with pytest.raises(AssertionError) as failure:
            node.wait_worker(limit=120)
    finally:
        node.stop()
    message = str(failure.value)
    assert "xx-node's worker exited" in message
    assert "no_such_settings_module" in message  # the worker's own error, from its log


def test_a_worker_that_takes_no_task_fails_the_start_within_the_limit(tmp_path):
    node = Node("xx-node", "unused", tmp_path / "n", DB)
    node.var_dir.mkdir(parents=True)
    node.worker_log.write_text("still importing\n")
    sleeper = subprocess.Popen(["sleep", "60"])  # alive, but consumes nothing
    node.processes = [None, sleeper]
    try:
        with pytest.raises(AssertionError) as failure:
            node.wait_worker(limit=2)
    finally:
        sleeper.kill()
        sleeper.wait()
        node.processes = []
    assert "took no task within 2 s" in str(failure.value)
    assert "still importing" in str(failure.value)

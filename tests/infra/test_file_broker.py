"""The embedded broker: a worker never sees a message before it is whole."""

import logging
import multiprocessing
import time
import uuid

import pytest
from kombu import Connection

from coordination.celery_config import broker_settings


@pytest.fixture
def queue_name():
    # kombu keeps queue bindings per transport class, not per folder: each test takes a
    # queue of its own so that a binding made in another test's folder is not taken for
    # one in its own.
    return f"concord-files-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def connection(tmp_path):
    config = broker_settings("", tmp_path)
    with Connection(
        config["broker_url"],
        transport=config["broker_transport"],
        transport_options=config["broker_transport_options"],
    ) as conn:
        yield conn


@pytest.fixture
def queue_dir(tmp_path):
    return tmp_path / "celery" / "queue"


def test_message_sent_through_the_file_broker_is_received_whole(connection, queue_dir, queue_name):
    queue = connection.SimpleQueue(queue_name)
    queue.put({"task": "concord.ping", "n": 1})

    assert [p.suffix for p in queue_dir.iterdir()] == [".msg"]
    message = queue.get(timeout=1)
    assert message.payload == {"task": "concord.ping", "n": 1}
    message.ack()
    queue.close()


def test_message_still_being_written_is_left_for_later(connection, queue_dir, queue_name):
    queue = connection.SimpleQueue(queue_name)
    # A writer has created its file and not yet renamed it into place.
    (queue_dir / f"1_half.{queue_name}.msg.part").write_bytes(b"")

    with pytest.raises(queue.Empty):
        queue.get(timeout=0.2)
    assert (queue_dir / f"1_half.{queue_name}.msg.part").exists()
    queue.close()


def test_unreadable_message_is_dropped_and_logged_without_stopping_the_consumer(
    connection, queue_dir, queue_name, caplog
):
    queue = connection.SimpleQueue(queue_name)
    # An empty file, as kombu's own transport could leave behind a process killed mid-write.
    (queue_dir / f"0_empty.{queue_name}.msg").write_bytes(b"")
    queue.put({"task": "concord.ping", "n": 2})

    with caplog.at_level(logging.ERROR, logger="coordination.file_broker"):
        message = queue.get(timeout=1)

    assert message.payload == {"task": "concord.ping", "n": 2}
    assert f"Dropped an unreadable message from the {queue_name} queue" in caplog.text
    assert list(queue_dir.iterdir()) == []
    message.ack()
    queue.close()


def _send_many(config, queue_name, count):
    with Connection(
        config["broker_url"],
        transport=config["broker_transport"],
        transport_options=config["broker_transport_options"],
    ) as conn:
        queue = conn.SimpleQueue(queue_name)
        for n in range(count):
            queue.put({"n": n, "body": "x" * 200_000})
        queue.close()


def test_consumer_polling_while_another_process_writes_receives_every_message(
    connection, tmp_path, queue_name
):
    count = 300
    writer = multiprocessing.get_context("spawn").Process(
        target=_send_many, args=(broker_settings("", tmp_path), queue_name, count)
    )
    writer.start()
    queue = connection.SimpleQueue(queue_name)
    received = []
    deadline = time.monotonic() + 60
    while len(received) < count and time.monotonic() < deadline:
        try:
            message = queue.get(timeout=0.01)
        except queue.Empty:
            continue
        received.append(message.payload["n"])
        message.ack()
    writer.join(timeout=30)
    queue.close()

    assert sorted(received) == list(range(count))

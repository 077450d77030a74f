"""kombu's filesystem transport, with messages that appear whole or not at all.

kombu writes a message straight into the queue folder, while a worker polling that
folder moves and reads any file it finds without waiting for the writer's lock: a
worker could read a message that was still empty, fail to decode it and exit
(kombu issue #1551). Here a message is written under a name the worker ignores and
renamed into place once complete, which is atomic on one filesystem. A file that
still cannot be decoded (one left half-written by a process killed before this
change) is logged and dropped instead of stopping the worker.
"""

import logging
import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".part"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        while True:
            try:
                return super()._get(queue)
            except ValueError:
                # The message that failed was already taken out of the queue folder.
                logger.error("Dropped an unreadable message from the %s queue", queue)


class Transport(filesystem.Transport):
    Channel = Channel

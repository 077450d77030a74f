"""Celery tasks: ids in, idempotent, safe to run twice at once."""

from celery import shared_task

from coordination.federation import delivery


@shared_task(name="federation.deliver", acks_late=True, ignore_result=True)
def deliver_to_peer(peer_id):
    if delivery.deliver(peer_id):  # a full batch went out: more waits
        deliver_to_peer.delay(peer_id)


@shared_task(name="federation.fetch_gap", acks_late=True, ignore_result=True)
def fetch_gap(peer_id, stream):
    from coordination.federation import gaps, transport
    from coordination.federation.models import Peer

    peer = Peer.objects.filter(pk=peer_id, state="active").first()
    if peer is None:
        return
    try:
        gaps.fetch(peer, stream)
    except transport.TransportError:
        pass  # the sweep asks again while messages are held


@shared_task(name="federation.fetch_attachment", acks_late=True, ignore_result=True)
def fetch_attachment(attachment_id):
    from coordination.federation import files

    files.fetch(attachment_id)  # not arrived: the sweep asks again


@shared_task(name="federation.apply_stream", acks_late=True, ignore_result=True)
def apply_stream(peer_id, stream):
    """Try again the messages of a stream whose next one failed to apply."""
    from coordination.federation import inbox
    from coordination.federation.models import Peer

    peer = Peer.objects.filter(pk=peer_id, state="active").first()
    if peer is not None:
        inbox.apply_stream(peer, stream)


@shared_task(name="federation.sweep", ignore_result=True)
def sweep():
    """Deliver what waits for peers whose backoff is over; fetch the gaps of held streams;
    apply again the streams whose next message failed; fetch the files of replicated
    entries that have not arrived."""
    from coordination.federation import directory, files
    from coordination.federation.inbox import failed_streams, held_streams

    directory.publish_changes()
    for peer_id in delivery.due_peer_ids():
        deliver_to_peer.delay(peer_id)
    for peer_id, stream in held_streams():
        fetch_gap.delay(peer_id, stream)
    for peer_id, stream in failed_streams():
        apply_stream.delay(peer_id, stream)
    for attachment_id in files.pending_ids():
        fetch_attachment.delay(attachment_id)


@shared_task(name="federation.publish_directory", ignore_result=True)
def publish_directory():
    from coordination.federation import directory

    directory.publish_changes()

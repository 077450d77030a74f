"""Peers, and the messages exchanged with them (outbox here, inbox on the receiving node)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.federation import identity
from coordination.federation.choices import InboxStatus, PeerState


class Peer(models.Model):
    """Another Concord node this node exchanges messages with, added by its admin."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    base_url = models.URLField(_("base URL"), max_length=300)
    public_key = models.JSONField(_("public key"), help_text=_("Ed25519 public key as a JWK."))
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    # The key the peer replaced last: it still proves a replay of a message taken before the
    # rotation (its receipt may have been lost), and nothing else.
    previous_public_key = models.JSONField(null=True, blank=True)
    previous_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PeerState.choices, default=PeerState.ACTIVE
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    last_in_at = models.DateTimeField(_("last message in"), null=True, blank=True)
    last_out_at = models.DateTimeField(_("last message out"), null=True, blank=True)
    # Consecutive failed deliveries; the next attempt waits longer after each (delivery.py).
    failures = models.PositiveIntegerField(_("failures"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Set while one worker delivers to this peer: deliveries to one peer never overlap,
    # so its messages leave in order.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the directory last published to the peer: the sweep publishes it again
    # when this node's agencies change.
    directory_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("peer node")
        verbose_name_plural = _("peer nodes")

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.state == PeerState.ACTIVE

    @property
    def grouped_fingerprint(self):
        return identity.grouped(self.fingerprint)

    def verification_key(self):
        return identity.import_public(self.public_key)


class OutboxMessage(models.Model):
    """A message for one peer, written in the transaction of the change it carries.

    Signed when it leaves (its ``sent_at`` is the time of that attempt), with the key named
    by ``signed_with``: the announcement of a new key is signed with the old one.
    """

    message_id = models.UUIDField(_("message id"), unique=True)
    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="outbox")
    stream = models.CharField(_("stream"), max_length=100)
    seq = models.PositiveBigIntegerField(_("sequence"))
    type = models.CharField(_("type"), max_length=64)
    schema_version = models.PositiveSmallIntegerField(default=1)
    body = models.JSONField(default=dict)
    signed_with = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    receipt = models.TextField(_("receipt"), blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "stream", "seq"], name="federation_outbox_one_seq"
            ),
        ]
        indexes = [
            # Delivery and the sweep: a peer's messages still to deliver, oldest first.
            models.Index(
                fields=["peer", "id"],
                name="federation_outbox_pending",
                condition=models.Q(delivered_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.type} → {self.peer_id} {self.stream}#{self.seq}"


class InboxMessage(models.Model):
    """A message received from a peer, kept as received (its signed token) before it is
    applied, so that it can be verified again and applied in order."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="inbox")
    message_id = models.UUIDField(_("message id"))
    stream = models.CharField(_("stream"), max_length=100)
    seq = models.PositiveBigIntegerField(_("sequence"))
    type = models.CharField(_("type"), max_length=64)
    schema_version = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(_("sent"))
    body = models.JSONField(default=dict)
    token = models.TextField(_("signed message"))
    status = models.CharField(_("status"), max_length=8, choices=InboxStatus.choices)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    receipt = models.TextField(_("receipt"), blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Replays: a message id is taken once per sender (another sender cannot claim it).
            models.UniqueConstraint(fields=["peer", "message_id"], name="federation_inbox_once"),
            # Applying in order: the next message of a stream is one indexed lookup.
            models.UniqueConstraint(
                fields=["peer", "stream", "seq"], name="federation_inbox_one_seq"
            ),
        ]
        indexes = [
            # The sweep: streams with a message held for an earlier one (gaps to fetch).
            models.Index(
                fields=["peer", "stream"],
                name="federation_inbox_held",
                condition=models.Q(status="held"),
            ),
        ]

    def __str__(self):
        return f"{self.type} ← {self.peer_id} {self.stream}#{self.seq}"


class InboxStream(models.Model):
    """How far a peer's stream is applied here: the next message applied is seq + 1."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="streams")
    stream = models.CharField(max_length=100)
    applied_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["peer", "stream"], name="federation_stream_once")
        ]

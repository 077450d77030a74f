"""The peers page: node admins see each peer's state and backlog, retry, suspend, resume,
remove, and add a peer, and rotate the node's key."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from coordination.audit.choices import AuditAction
from coordination.federation import actions, delivery, identity, inbox
from coordination.federation.choices import InboxStatus, PeerState
from coordination.federation.forms import AddPeerForm
from coordination.federation.models import InboxMessage, Peer

# Messages received that could not be applied, listed on the peers page (oldest first).
FAILED_SHOWN = 20


def is_node_admin(user):
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser or user.is_staff
    ))  # fmt: skip


def node_admin_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_node_admin(request.user):
            raise PermissionDenied(_("Only node admins manage peer nodes."))
        if not identity.is_enabled() or not identity.has_key():
            raise Http404(_("Federation is off on this node."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _peers():
    return Peer.objects.annotate(
        backlog=Count("outbox", filter=Q(outbox__delivered_at__isnull=True), distinct=True),
        held=Count(
            "inbox",
            filter=Q(inbox__status__in=[InboxStatus.HELD, InboxStatus.FAILED]),
            distinct=True,
        ),
    ).order_by("name")


def _failed_messages():
    """The messages received that could not be applied, each with its error: the sweep and
    "Retry now" try them again; the messages after one on its stream wait for it."""
    return list(
        InboxMessage.objects.filter(status=InboxStatus.FAILED)
        .select_related("peer")
        .only("peer__name", "type", "stream", "seq", "received_at", "error")
        .order_by("received_at", "pk")[: FAILED_SHOWN + 1]
    )


@node_admin_required
def peer_list(request):
    form = AddPeerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            peer = actions.add_peer(
                form.cleaned_data["base_url"], form.cleaned_data["fingerprint"],
                by=request.user, request=request,
            )  # fmt: skip
        except actions.PeerError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Peer %(name)s added.") % {"name": peer.name})
            return redirect("federation:peers")
    document = identity.node_document()
    failed = _failed_messages()
    return render(
        request,
        "federation/peers.html",
        {
            "peers": _peers(),
            "failed": failed[:FAILED_SHOWN],
            "more_failed": len(failed) > FAILED_SHOWN,
            "form": form,
            "node": document,
            "fingerprint": identity.grouped(document["fingerprint"]),
        },
    )


@node_admin_required
@require_POST
def peer_retry(request, pk):
    peer = get_object_or_404(Peer, pk=pk, state=PeerState.ACTIVE)
    delivery.retry_now(peer)
    for _peer_id, stream in inbox.failed_streams(peer=peer):
        inbox.apply_stream(peer, stream)
    actions.audit_peer(AuditAction.PEER_RETRY, peer, by=request.user, request=request)
    messages.success(
        request,
        _("Delivery to %(name)s and the messages from it that failed are tried again now.")
        % {"name": peer.name},
    )
    return redirect("federation:peers")


OPERATIONS = {
    "suspend": (actions.suspend_peer, [PeerState.ACTIVE]),
    "resume": (actions.resume_peer, [PeerState.SUSPENDED]),
    "remove": (actions.remove_peer, [PeerState.ACTIVE, PeerState.SUSPENDED]),
}


@node_admin_required
def peer_change(request, pk, operation):
    """GET asks for confirmation; POST does it."""
    if operation not in OPERATIONS:
        raise Http404
    action, states = OPERATIONS[operation]
    peer = get_object_or_404(Peer, pk=pk, state__in=states)
    if request.method == "POST":
        try:
            action(peer, by=request.user, request=request)
        except actions.PeerError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Peer %(name)s: done.") % {"name": peer.name})
        return redirect("federation:peers")
    return render(
        request,
        "federation/peer_confirm.html",
        {"peer": peer, "operation": operation, "backlog": delivery.backlog(peer)},
    )


@node_admin_required
def rotate_key(request):
    """GET asks for confirmation (and says what holds a rotation back); POST rotates."""
    if request.method == "POST":
        try:
            told = actions.rotate_node_key(by=request.user, request=request)
        except actions.PeerError as exc:
            messages.error(request, str(exc))
        except OSError as exc:
            messages.error(
                request,
                _(
                    "The new key could not be written (%(error)s); nothing changed. Run "
                    "`python manage.py federation_key --rotate` as the user that owns the key "
                    "file."
                )
                % {"error": exc.strerror or exc},
            )
        else:
            messages.success(
                request,
                ngettext(
                    "This node's key is rotated; its fingerprint is now %(fingerprint)s. "
                    "%(count)s peer node is told, in a message signed with the old key.",
                    "This node's key is rotated; its fingerprint is now %(fingerprint)s. "
                    "%(count)s peer nodes are told, in messages signed with the old key.",
                    told,
                )
                % {
                    "count": told,
                    "fingerprint": identity.grouped(identity.fingerprint(identity.signing_key())),
                },
            )
        return redirect("federation:peers")
    return render(
        request,
        "federation/rotate_key.html",
        {
            "fingerprint": identity.grouped(identity.fingerprint(identity.signing_key())),
            "told": Peer.objects.filter(state__in=[PeerState.ACTIVE, PeerState.SUSPENDED]).count(),
            "waiting": actions.peers_without_the_last_rotation(),
        },
    )

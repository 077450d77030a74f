"""The node's public endpoints: its identity document, its inbox, its outbox.

The inbox and outbox authenticate the calling node by its signature, not by a session:
no cookie, no CSRF token, no user.
"""

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from coordination.federation import files, gaps, identity, inbox
from coordination.federation.protocol import MAX_TOKEN_BYTES, ProtocolError


def _require_federation():
    if not identity.is_enabled() or not identity.has_key():
        raise Http404("federation is off")


@require_GET
@cache_control(max_age=300, public=True)
def node_document(request):
    """``/.well-known/concord-node``: name, base URL, public key and fingerprint."""
    _require_federation()
    return JsonResponse(identity.node_document())


def _refused(request, exc):
    inbox.refuse(exc, request)
    return JsonResponse({"errors": exc.errors}, status=exc.status)


@csrf_exempt
@require_POST
def inbox_view(request):
    """POST a signed message (``application/jose``); the answer is a signed receipt."""
    _require_federation()
    if len(request.body) > MAX_TOKEN_BYTES:
        return JsonResponse({"errors": {"token": "too large"}}, status=413)
    try:
        receipt = inbox.receive(request.body.decode("ascii", "replace").strip())
    except ProtocolError as exc:
        return _refused(request, exc)
    return HttpResponse(receipt, content_type="application/jose")


@require_GET
def outbox_view(request):
    """The messages of one stream for the signing peer, after a position (gap fetches)."""
    _require_federation()
    stream = request.GET.get("stream", "")
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        return JsonResponse({"errors": {"after": "a whole number"}}, status=400)
    if not stream or after < 0:
        return JsonResponse({"errors": {"stream": "required", "after": "0 or more"}}, status=400)
    try:
        messages = gaps.serve(request.headers.get("Authorization"), stream, after)
    except ProtocolError as exc:
        return _refused(request, exc)
    return JsonResponse({"messages": messages})


@require_GET
def files_view(request):
    """A replicated entry's attachment file, for the signing peer (``files.serve``)."""
    from incidents.evidence import storage

    _require_federation()
    try:
        reference = {"node": request.GET.get("node", ""), "id": int(request.GET.get("id", ""))}
    except ValueError:
        return JsonResponse({"errors": {"id": "a whole number"}}, status=400)
    try:
        attachment = files.serve(request.headers.get("Authorization"), reference)
    except files.NotHereYet:
        return JsonResponse({"errors": {"file": "not on this node yet: ask again"}}, status=404)
    except ProtocolError as exc:
        return _refused(request, exc)
    response = FileResponse(
        open(storage.absolute(attachment.file_path), "rb"),  # noqa: SIM115 - closed by Django
        content_type="application/octet-stream",
    )
    response["X-Concord-SHA256"] = attachment.sha256
    response["Cache-Control"] = "private, no-store"
    return response

"""The node's public endpoints: its identity document, its inbox, its outbox."""

from django.http import Http404, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from coordination.federation import identity


def _require_federation():
    if not identity.is_enabled() or not identity.has_key():
        raise Http404("federation is off")


@require_GET
@cache_control(max_age=300, public=True)
def node_document(request):
    """``/.well-known/concord-node``: name, base URL, public key and fingerprint."""
    _require_federation()
    return JsonResponse(identity.node_document())

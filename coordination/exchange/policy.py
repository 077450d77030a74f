"""What may leave Concord through an export, by TLP 2.0 label.

Every export reads ``Indicator.objects.restrict(user, machine=...)``, the same door as
the pages and the API (coordination.intel.querysets), so an export never shows more than
the indicator panel:

- CLEAR, GREEN, AMBER: to anyone who may see the incident;
- AMBER+STRICT: only to the owning agency (who added the indicator, else the incident's
  lead agency);
- RED: only to who added it and its named recipients, and never through a machine
  channel (TAXII collections, blocklists, a STIX file fetched with tool credentials).

Machine channels also leave out every indicator of a TLP:RED incident.
"""

from django.utils.translation import gettext_lazy as _

from coordination.intel.models import Indicator

RED_FOR_PEOPLE_ONLY = _(
    "This incident is TLP:RED: nothing of it goes to tools. Sign in to Concord and "
    "download its bundle from the incident's page."
)


EXERCISE_NOT_EXPORTED = _(
    "This incident belongs to a joint cyber exercise: exercise content is never exported "
    "(no STIX bundle, TAXII collection or blocklist)."
)


def exportable_indicators(user, *, machine):
    """Indicators ``user`` may export; ``machine`` for TAXII, blocklists and tools.

    Never those of exercise incidents: exercise content must not reach a real tool.
    """
    return Indicator.objects.restrict(user, machine=machine).filter(incident__is_exercise=False)


def is_machine_request(request):
    """True when the caller authenticated with tool credentials (HTTP Basic, an API
    token), not with a browser session: what it downloads is a machine feed."""
    from rest_framework.authentication import BasicAuthentication
    from rest_framework.request import Request

    if isinstance(request, Request):
        # An API token authenticates with the token as ``request.auth``.
        basic = isinstance(request.successful_authenticator, BasicAuthentication)
        return basic or request.auth is not None
    return bool(request.headers.get("Authorization"))

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle

from accounts import throttle
from accounts.api.filtersets import AgencyFilterSet
from accounts.api.serializers import AgencySerializer
from accounts.models import Agency
from coordination.api import APIViewMixin


@extend_schema_view(
    list=extend_schema(
        summary=_("Directory of agencies"),
        description=_(
            "Active agencies with their functional mailbox, phone and 24/7 point of contact. "
            "Any signed-in user may read the directory."
        ),
    ),
    retrieve=extend_schema(summary=_("One agency")),
)
@extend_schema(tags=["agencies"])
class AgencyViewSet(APIViewMixin, viewsets.ReadOnlyModelViewSet):
    """The directory of agencies."""

    serializer_class = AgencySerializer
    queryset = Agency.objects.filter(is_active=True)
    filter_backends = [DjangoFilterBackend]
    filterset_class = AgencyFilterSet


@extend_schema(tags=["auth"])
class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (for scripts and CERT tooling)."""

    # Credentials are in the body: no session (and so no CSRF dance) is involved.
    authentication_classes = []
    # Requests per client address (rate "anon" in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES);
    # failed passwords are counted and refused by accounts.throttle, as everywhere.
    throttle_classes = [AnonRateThrottle]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            if getattr(request, "axes_locked_out", False):
                raise exceptions.Throttled(detail=throttle.LOCKOUT_MESSAGE) from None
            raise

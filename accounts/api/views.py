from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import actions, mfa, throttle
from accounts.api.filtersets import AgencyFilterSet
from accounts.api.serializers import AgencySerializer, TokenRequestSerializer, TokenSerializer
from accounts.models import Agency
from coordination.api import APIViewMixin, StrictFilterBackend


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
    filter_backends = [StrictFilterBackend]
    filterset_class = AgencyFilterSet


@extend_schema(
    tags=["auth"],
    summary=_("Create an API token from a username and password"),
    description=_(
        "For scripts of accounts without a second factor. Each call creates a new token "
        "(read-only unless asked otherwise, valid for 30 days unless asked otherwise); the "
        "key is in this answer only. An account with a second factor creates its tokens "
        "on the API tokens page after signing in."
    ),
    request=TokenRequestSerializer,
    responses={201: TokenSerializer},
)
class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (for scripts and CERT tooling)."""

    # Credentials are in the body: no session (and so no CSRF dance) is involved.
    authentication_classes = []
    permission_classes = []
    # Requests per client address (rate "anon" in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES);
    # failed passwords are counted and refused by accounts.throttle, as everywhere.
    throttle_classes = [AnonRateThrottle]

    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            if getattr(request, "axes_locked_out", False):
                raise exceptions.Throttled(detail=throttle.LOCKOUT_MESSAGE) from None
            raise
        data = serializer.validated_data
        request.user = data["user"]
        # A password alone is not a second factor: tokens go to sessions that passed one.
        if not mfa.second_factor_passed(request._request):
            raise exceptions.PermissionDenied(
                _(
                    "This account signs in with a second factor: create API tokens on the "
                    "API tokens page after signing in."
                )
            )
        token, key = actions.create_api_token(
            data["user"],
            name=data["name"],
            scope=data["scope"],
            days=data["days"],
            request=request._request,
        )
        body = TokenSerializer(
            {
                "token": key,
                "name": token.name,
                "prefix": token.prefix,
                "scope": token.scope,
                "expires_at": token.expires_at,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

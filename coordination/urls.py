from django.contrib import admin
from django.urls import include, path

from coordination import accessibility, health
from coordination.federation import views as federation_views

urlpatterns = [
    path("", include("incidents.urls")),
    path("", include("incidents.evidence.urls")),
    path("", include("incidents.casework.urls")),
    path("", include("coordination.intel.urls")),
    path("", include("coordination.assistance.urls")),
    path("", include("coordination.exchange.urls")),
    path("exercises/", include("coordination.exercises.urls")),
    path("accounts/", include("accounts.urls")),
    # Security keys and passkeys (the second factor's WebAuthn ceremonies).
    path("accounts/webauthn/", include("accounts.webauthn_urls")),
    path("notifications/", include("coordination.notifications.urls")),
    path("api/", include("coordination.api_urls")),
    path("taxii2/", include("coordination.exchange.taxii_urls")),
    path("audit/", include("coordination.audit.urls")),
    path("federation/", include("coordination.federation.urls")),
    path(".well-known/concord-node", federation_views.node_document, name="concord_node"),
    path("health/", health.health, name="health"),
    path("accessibility/", accessibility.statement, name="accessibility"),
    path("admin/", admin.site.urls),
]

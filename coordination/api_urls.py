from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("v1/", include("accounts.api.urls")),
    path("v1/", include("incidents.api.urls")),
    path("v1/", include("incidents.evidence.api_urls")),
    path("v1/", include("coordination.intel.api_urls")),
    path("v1/", include("coordination.assistance.api_urls")),
    path("v1/", include("coordination.exchange.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

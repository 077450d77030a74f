from django.urls import path

from coordination.exchange import api

app_name = "exchange-api"

urlpatterns = [
    path("incidents/<str:reference>/stix/", api.IncidentStixView.as_view(), name="incident-stix"),
]

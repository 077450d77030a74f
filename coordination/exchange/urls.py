from django.urls import path

from coordination.exchange import views

app_name = "exchange"

urlpatterns = [
    path("incidents/<str:reference>/stix.json", views.incident_stix, name="incident_stix"),
    path(
        "incidents/<str:reference>/blocklist.txt",
        views.incident_blocklist,
        name="incident_blocklist",
    ),
    path(
        "exchange/collections/<uuid:collection_id>/blocklist.txt",
        views.collection_blocklist,
        name="collection_blocklist",
    ),
]

urlpatterns += [
    path("incidents/<str:reference>/exchange/", views.incident_panel, name="incident_panel"),
    path("exchange/token/", views.api_token, name="api_token"),
]

urlpatterns += [
    path("incidents/<str:reference>/stix/import/", views.incident_import, name="incident_import"),
]

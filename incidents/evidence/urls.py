from django.urls import path

from incidents.evidence import views

app_name = "evidence"

urlpatterns = [
    path("evidence/", views.evidence_list, name="all"),
    path("incidents/<str:reference>/evidence/", views.incident_evidence, name="incident_list"),
    path("incidents/<str:reference>/evidence/panel/", views.incident_panel, name="incident_panel"),
    path("incidents/<str:reference>/evidence/new/", views.evidence_create, name="create"),
    path("evidence/<str:reference>/", views.evidence_detail, name="detail"),
    path("evidence/<str:reference>/custody/<str:action>/", views.custody_add, name="custody_add"),
    path("evidence/<str:reference>/verify/", views.evidence_verify, name="verify"),
    path("evidence/<str:reference>/report/", views.evidence_report, name="report"),
    path("evidence/<str:reference>/download/", views.evidence_download, name="download"),
]

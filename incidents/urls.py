from django.urls import path

from incidents import attachment_views, report_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new/", views.incident_create, name="create"),
    path("incidents/<str:reference>/", views.incident_detail, name="detail"),
    path("incidents/<str:reference>/edit/", views.incident_edit, name="edit"),
    path("incidents/<str:reference>/status/", views.status_change, name="status_change"),
    path("incidents/<str:reference>/timeline/", views.timeline_more, name="timeline"),
    path("incidents/<str:reference>/timeline/add/", views.timeline_add, name="timeline_add"),
    path("incidents/<str:reference>/tags/add/", views.tag_add, name="tag_add"),
    path("incidents/<str:reference>/tags/<int:pk>/remove/", views.tag_remove, name="tag_remove"),
    path("attachments/<int:pk>/", attachment_views.attachment_download, name="attachment"),
    path(
        "attachments/<int:pk>/promote/",
        attachment_views.attachment_promote,
        name="attachment_promote",
    ),
    path("incidents/<str:reference>/participants/invite/", views.participant_invite, name="invite"),
    path(
        "incidents/<str:reference>/participants/<int:pk>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path(
        "incidents/<str:reference>/participants/<int:pk>/role/",
        views.participant_role,
        name="participant_role",
    ),
    path(
        "incidents/<str:reference>/report.pdf",
        report_views.report_pdf_download,
        name="report_pdf",
    ),
    path(
        "incidents/<str:reference>/report.json",
        report_views.report_json_download,
        name="report_json",
    ),
    path(
        "incidents/<str:reference>/agency-options/",
        views.agency_options,
        name="agency_options",
    ),
]

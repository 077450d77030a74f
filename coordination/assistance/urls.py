from django.urls import path

from coordination.assistance import escalation_views, provider_views, views

app_name = "assistance"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/desk/", views.desk, name="desk"),
    path("requests/new/", views.request_create, name="create"),
    path("requests/new/adapt/", views.form_adapt, name="form_adapt"),
    path("requests/policy/", views.policy, name="policy"),
    path("requests/providers/", provider_views.provider_register, name="providers"),
    path(
        "requests/for-incident/<str:reference>/",
        views.incident_panel,
        name="incident_panel",
    ),
    path("requests/<str:reference>/", views.request_detail, name="detail"),
    path(
        "requests/<str:reference>/escalation/",
        escalation_views.escalation_panel,
        name="escalation",
    ),
    path(
        "requests/<str:reference>/delay-notice/",
        escalation_views.delay_notice,
        name="delay_notice",
    ),
    path("requests/<str:reference>/edit/", views.request_edit, name="edit"),
    path("requests/<str:reference>/print/", views.request_print, name="print"),
    path(
        "requests/<str:reference>/print/acknowledgement/",
        views.request_print_acknowledgement,
        name="print_acknowledgement",
    ),
    path(
        "requests/<str:reference>/attachments/",
        views.attachment_upload,
        name="attachment_upload",
    ),
    path(
        "requests/<str:reference>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "requests/<str:reference>/attachments/<int:pk>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path(
        "requests/<str:reference>/<slug:action>/",
        views.request_action,
        name="action",
    ),
]

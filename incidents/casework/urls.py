from django.urls import path

from incidents.casework import views

app_name = "casework"

TASK = "incidents/<str:reference>/tasks/<int:pk>"

urlpatterns = [
    path("tasks/mine/", views.my_tasks, name="my_tasks"),
    path("incidents/<str:reference>/tasks/", views.panel, name="panel"),
    path("incidents/<str:reference>/tasks/add/", views.add, name="add"),
    path(f"{TASK}/edit/", views.edit, name="edit"),
    path(f"{TASK}/assign/", views.assign, name="assign"),
    path(f"{TASK}/status/", views.change_status, name="status"),
    path(f"{TASK}/move/", views.move, name="move"),
    path(
        "incidents/<str:reference>/participants/<int:pk>/owner/",
        views.set_owner,
        name="owner",
    ),
    path("agency/case-templates/", views.templates_list, name="templates"),
    path("agency/case-templates/new/", views.template_edit, name="template_create"),
    path("agency/case-templates/<int:pk>/", views.template_edit, name="template_edit"),
]

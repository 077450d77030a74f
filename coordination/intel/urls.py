from django.urls import path

from coordination.intel import views

app_name = "intel"

urlpatterns = [
    path("intel/", views.search, name="search"),
    path("incidents/<str:reference>/indicators/", views.panel, name="panel"),
    path("incidents/<str:reference>/indicators/add/", views.add, name="add"),
    path("incidents/<str:reference>/indicators/paste/", views.paste, name="paste"),
    path(
        "incidents/<str:reference>/indicators/<int:pk>/contact/",
        views.request_contact,
        name="request_contact",
    ),
    path(
        "incidents/<str:reference>/indicators/<int:pk>/allow-in-blocklists/",
        views.allow_in_blocklists,
        name="allow_in_blocklists",
    ),
]

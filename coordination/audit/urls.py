from django.urls import path

from coordination.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.records, name="records"),
    path("export.csv", views.export, name="export"),
]

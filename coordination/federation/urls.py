from django.urls import path

from coordination.federation import views

app_name = "federation"

urlpatterns = [
    path("inbox/", views.inbox_view, name="inbox"),
    path("outbox/", views.outbox_view, name="outbox"),
]

from django.urls import path

from coordination.federation import peers, views

app_name = "federation"

urlpatterns = [
    path("inbox/", views.inbox_view, name="inbox"),
    path("outbox/", views.outbox_view, name="outbox"),
    path("files/", views.files_view, name="files"),
    path("peers/", peers.peer_list, name="peers"),
    path("peers/rotate-key/", peers.rotate_key, name="rotate_key"),
    path("peers/<int:pk>/retry/", peers.peer_retry, name="peer_retry"),
    path(
        "peers/<int:pk>/<str:operation>/",
        peers.peer_change,
        name="peer_change",
    ),
]

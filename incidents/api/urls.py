from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api import views
from incidents.casework.api import TaskViewSet

app_name = "incidents-api"

INCIDENT = r"incidents/(?P<reference>[^/.]+)"

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register(f"{INCIDENT}/timeline", views.TimelineViewSet, basename="incident-timeline")
router.register(
    f"{INCIDENT}/participants", views.ParticipantViewSet, basename="incident-participant"
)
router.register(f"{INCIDENT}/tags", views.TagViewSet, basename="incident-tag")
router.register(f"{INCIDENT}/tasks", TaskViewSet, basename="incident-task")

urlpatterns = [
    path("tags/", views.TagSuggestionsView.as_view(), name="tag-suggestions"),
    *router.urls,
]

from rest_framework.routers import SimpleRouter

from incidents.evidence.api import views

app_name = "evidence-api"

router = SimpleRouter()
router.register("evidence", views.EvidenceViewSet, basename="evidence")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from coordination.assistance.api import views

router = SimpleRouter()
router.register("requests", views.RequestViewSet, basename="request")

urlpatterns = router.urls

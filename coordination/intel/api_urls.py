from rest_framework.routers import SimpleRouter

from coordination.intel.api import views

app_name = "intel-api"

router = SimpleRouter()
router.register("indicators", views.IndicatorViewSet, basename="indicator")

urlpatterns = router.urls

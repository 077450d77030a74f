from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views

app_name = "accounts-api"

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    *router.urls,
]

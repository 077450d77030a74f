from coordination.assistance.api.urls import urlpatterns

app_name = "assistance-api"

__all__ = ["urlpatterns"]

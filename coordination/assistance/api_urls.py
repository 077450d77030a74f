app_name = "assistance-api"

urlpatterns = []

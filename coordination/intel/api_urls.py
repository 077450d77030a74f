app_name = "intel-api"

urlpatterns = []

app_name = "evidence-api"

urlpatterns = []

app_name = "exchange-api"

urlpatterns = []

app_name = "assistance"

urlpatterns = []

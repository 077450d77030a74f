from django.urls import path

from coordination.assistance import views

app_name = "assistance"

urlpatterns = [
    path("requests/<str:reference>/", views.request_detail, name="detail"),
]

from django.urls import path

from coordination.exercises import views

app_name = "exercises"

urlpatterns = [
    path("", views.exercise_list, name="list"),
    path("new/", views.exercise_new, name="new"),
    path("<int:pk>/", views.exercise_detail, name="detail"),
    path("<int:pk>/board/", views.board, name="board"),
    path("<int:pk>/play/", views.play, name="play"),
    path("<int:pk>/control/", views.control, name="control"),
    path("<int:pk>/injects/<int:inject_pk>/", views.inject_action, name="inject"),
    path("<int:pk>/lessons/", views.add_lesson, name="lesson"),
    path("<int:pk>/report/", views.report_page, name="report"),
    path("<int:pk>/report.csv", views.report_csv_download, name="report_csv"),
    path("<int:pk>/report.pdf", views.report_pdf_download, name="report_pdf"),
]

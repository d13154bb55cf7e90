from django.urls import path

from . import views

app_name = "followups"
urlpatterns = [
    path("selections/<int:pk>/followups/new/", views.generate_dialog, name="generate_dialog"),
    path("selections/<int:pk>/followups/preview/", views.generate_preview, name="generate_preview"),
    path("selections/<int:pk>/followups/", views.generate_save, name="generate_save"),
    path("followups/projects/", views.project_options, name="project_options"),
]

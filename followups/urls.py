from django.urls import path

from . import activity_views, bulk_views, generation_views, job_views, views

app_name = "followups"
urlpatterns = [
    path("selections/<int:pk>/followups/new/", views.generate_dialog, name="generate_dialog"),
    path("selections/<int:pk>/followups/preview/", views.generate_preview, name="generate_preview"),
    path("selections/<int:pk>/followups/", views.generate_save, name="generate_save"),
    path("followups/saved/<uuid:key>/", views.generate_status, name="generate_status"),
    path("generations/jobs/<int:pk>/", job_views.job_status, name="job_status"),
    path("generations/jobs/<int:pk>/cancel/", job_views.job_cancel, name="job_cancel"),
    path("generations/jobs/<int:pk>/retry/", job_views.job_retry, name="job_retry"),
    path("followups/help/", views.generate_help, name="generate_help"),
    path("followups/projects/", views.project_options, name="project_options"),
    path("activities/", activity_views.activity_list, name="activity_list"),
    path("activities/history/", activity_views.history, name="history"),
    path("activities/counters/", activity_views.counters, name="counters"),
    path("activities/export.<str:fmt>", activity_views.export_list, name="export"),
    path("activities/search/", activity_views.quick_search, name="quick_search"),
    path("followups/new/", activity_views.followup_new, name="new"),
    path("followups/<int:pk>/", activity_views.followup_detail, name="detail"),
    path("generations/", generation_views.generation_list, name="generation_list"),
    path("generations/<int:pk>/", generation_views.generation_detail, name="generation_detail"),
    path("generations/<int:pk>/undo/", generation_views.generation_undo, name="generation_undo"),
    path("followups/bulk/check/", bulk_views.bulk_confirm, name="bulk_confirm"),
    path("followups/bulk/", bulk_views.bulk_apply, name="bulk_apply"),
    path("followups/bulk/<int:pk>/", bulk_views.bulk_detail, name="bulk_detail"),
    path("followups/bulk/<int:pk>/undo/", bulk_views.bulk_undo, name="bulk_undo"),
    path("followups/<int:pk>/toggle/", activity_views.toggle_completed, name="toggle_completed"),
]

from django.urls import path

from . import views

app_name = "crm"
urlpatterns = [
    path("companies/<int:pk>/", views.company_detail, name="company"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("settings/", views.preferences, name="settings"),
    path("settings/calendar/", views.calendar_token, name="calendar_token"),
]

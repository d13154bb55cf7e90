from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from crm import views as crm_views
from notices import views as notices_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="selections:list", permanent=False)),
    path("healthz", crm_views.healthz, name="healthz"),
    path("login/", crm_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", crm_views.set_language, name="set_language"),
    path("selections/", include("selections.urls")),
    path("", include("followups.urls")),
    path("crm/", include("crm.urls")),
    path("calendar/<str:token>.ics", notices_views.calendar_feed, name="calendar_feed"),
    path("admin/", admin.site.urls),
]

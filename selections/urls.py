from django.urls import path

from . import views

app_name = "selections"
urlpatterns = [
    path("", views.selection_list, name="list"),
    path("<int:pk>/", views.selection_detail, name="detail"),
    path("<int:pk>/members/search/", views.member_search, name="member_search"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
]

from django.urls import path

from . import views

app_name = "selections"
urlpatterns = [
    path("", views.selection_list, name="list"),
    path("new/", views.selection_new, name="new"),
    path("<int:pk>/", views.selection_detail, name="detail"),
    path("<int:pk>/criteria/form/", views.criterion_form, name="criterion_form"),
    path("<int:pk>/criteria/add/", views.criterion_add, name="criterion_add"),
    path(
        "<int:pk>/criteria/<int:criterion_id>/remove/",
        views.criterion_remove,
        name="criterion_remove",
    ),
    path("<int:pk>/freeze/", views.selection_freeze, name="freeze"),
    path("<int:pk>/members/search/", views.member_search, name="member_search"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
]

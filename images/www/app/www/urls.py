from django.urls import path

from shows import views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/shows/", views.show_list, name="show-list"),
    path("api/shows/<slug:slug>/", views.show_detail, name="show-detail"),
    path("api/shows/<slug:slug>/plays/", views.record_play, name="show-plays"),
]

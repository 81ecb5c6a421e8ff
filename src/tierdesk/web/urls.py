from django.urls import path

from tierdesk.web import views

urlpatterns = [
    path("", views.home, name="home"),
]

from django.urls import include, path

from tierdesk.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("portal/", include("tierdesk.portal.urls")),
    path("", include("tierdesk.web.urls")),
]

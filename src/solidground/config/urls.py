from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from solidground.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("s/", include("solidground.surveys.urls")),
    path("", include("solidground.web.urls")),
]

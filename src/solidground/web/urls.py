from django.urls import path

from solidground.web import views

app_name = "web"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
]

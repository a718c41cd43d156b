"""The public survey pages (no login), included under /s/ by the project's urls."""

from django.urls import path

from solidground.surveys import views

app_name = "surveys"
urlpatterns = [
    path("a/<str:token>/", views.answer, name="answer"),
    path("r/<str:token>/", views.relationship, name="relationship"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("brand.css", views.brand_css, name="brand_css"),
]

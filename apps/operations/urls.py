from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.operation_list, name="list"),
    path("<int:pk>/", views.operation_detail, name="detail"),
    path("<int:pk>/stream/", views.operation_stream, name="stream"),
    path("<int:pk>/live/", views.operation_live, name="live"),
    path("<int:pk>/cancel/", views.operation_cancel, name="cancel"),
    path("<int:pk>/retry/", views.operation_retry, name="retry"),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AuthTokenView, TeamMemberViewSet, TeamViewSet, TokenViewSet

router = SimpleRouter()
router.register("tokens", TokenViewSet, basename="token")
router.register("teams", TeamViewSet, basename="team")
router.register(r"teams/(?P<team_pk>[0-9]+)/members", TeamMemberViewSet, basename="team-member")

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    *router.urls,
]

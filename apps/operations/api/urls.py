from rest_framework.routers import DefaultRouter

from .views import OperationViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("operations", OperationViewSet, basename="operation")

urlpatterns = router.urls

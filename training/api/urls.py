"""Training API routes, under /api/v1/training/ (a SimpleRouter: the API root is the portal's)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from training.api import views

router = SimpleRouter()
router.register("training/scenarios", views.ScenarioViewSet, basename="training-scenario")
router.register("training/rubrics", views.RubricViewSet, basename="training-rubric")
router.register("training/assignments", views.AssignmentViewSet, basename="training-assignment")
router.register("training/attempts", views.AttemptViewSet, basename="training-attempt")
router.register("training/grades", views.GradeViewSet, basename="training-grade")
router.register("training/certifications", views.CertificationViewSet, basename="training-certification")
router.register("training/requirements", views.CertificationRequirementViewSet, basename="training-requirement")
router.register("training/queue-gates", views.QueueGateViewSet, basename="training-queue-gate")
router.register("training/courses", views.OfflineCourseViewSet, basename="training-course")
urlpatterns = [
    path("training/compliance/", views.ComplianceView.as_view(), name="training-compliance"),
    path("training/statements/", views.StatementsView.as_view(), name="training-statements"),
    *router.urls,
]

"""The cabin's pages, mounted at /training/."""

from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.TrainingHomeView.as_view(), name="home"),
    path("my/", views.TrainingHomeView.as_view(), name="my_training"),
    path("record/", views.RecordView.as_view(), name="my_record"),
    path("record/<int:user_id>/", views.RecordView.as_view(), name="record"),
    path("scenarios/", views.ScenarioListView.as_view(), name="scenario_list"),
    path("scenarios/add/", views.ScenarioFormView.as_view(), name="scenario_add"),
    path("scenarios/<int:pk>/", views.ScenarioDetailView.as_view(), name="scenario"),
    path("scenarios/<int:pk>/edit/", views.ScenarioFormView.as_view(), name="scenario_edit"),
    path("scenarios/<int:pk>/assign/", views.ScenarioAssignView.as_view(), name="scenario_assign"),
    path("candidates/", views.CandidateListView.as_view(), name="candidate_list"),
    path("tickets/<int:ticket_id>/case/", views.CaseFromTicketView.as_view(), name="case_from_ticket"),
    path("assignments/", views.AssignmentListView.as_view(), name="assignment_list"),
    path("assignments/<int:pk>/start/", views.AssignmentStartView.as_view(), name="assignment_start"),
    path("attempts/", views.AttemptListView.as_view(), name="attempt_list"),
    path("attempts/<int:pk>/", views.AttemptDetailView.as_view(), name="attempt"),
    path("attempts/<int:pk>/answer/", views.AttemptAnswerView.as_view(), name="attempt_answer"),
    path("attempts/<int:pk>/submit/", views.AttemptSubmitView.as_view(), name="attempt_submit"),
    path("attempts/<int:pk>/grade/", views.AttemptGradeView.as_view(), name="attempt_grade"),
    path("certifications/", views.RequirementListView.as_view(), name="requirement_list"),
    path("certifications/add/", views.RequirementFormView.as_view(), name="requirement_add"),
    path("certifications/<int:pk>/edit/", views.RequirementFormView.as_view(), name="requirement_edit"),
    path("compliance/", views.ComplianceView.as_view(), name="compliance"),
    path("compliance.csv", views.ComplianceExportView.as_view(), name="compliance_export"),
    path("courses/", views.CourseListView.as_view(), name="course_list"),
    path("courses/import/", views.CourseImportView.as_view(), name="course_import"),
    path("metrics/", views.MetricsView.as_view(), name="metrics"),
]

"""FilterSets of the training lists (the UI filter forms and the API's query parameters)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from portal.models import ProductLine, Team
from training.models import Assignment, Attempt, Difficulty, OfflineCourse, Scenario


class ScenarioFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("title"))
    product_line = django_filters.ModelChoiceFilter(queryset=ProductLine.objects.all(), to_field_name="code",
                                                    label=_("product line"))
    difficulty = django_filters.ChoiceFilter(choices=Difficulty.choices, label=_("difficulty"))
    status = django_filters.ChoiceFilter(choices=Scenario.Status.choices, label=_("status"))

    class Meta:
        model = Scenario
        fields = ["q", "product_line", "difficulty", "status"]


class AssignmentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Assignment.Status.choices, label=_("status"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.filter(kind=Team.Kind.CUSTOMER_SERVICE),
                                            method="filter_team", label=_("team"))

    class Meta:
        model = Assignment
        fields = ["status", "team"]

    def filter_team(self, queryset, name, value):
        return queryset.filter(agent__memberships__team=value).distinct() if value else queryset


class AttemptFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Attempt.Status.choices, label=_("status"))
    passed = django_filters.BooleanFilter(label=_("passed"))

    class Meta:
        model = Attempt
        fields = ["status", "passed"]


class OfflineCourseFilterSet(django_filters.FilterSet):
    course = django_filters.CharFilter(lookup_expr="icontains", label=_("course"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("from"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("to"))

    class Meta:
        model = OfflineCourse
        fields = ["course", "date_from", "date_to"]

"""The API's filter backend: query parameters are held to the schema the filters declare.

django-filter ignores an empty value and takes the last of repeated values, which suits a page's
filter form; for the API, `?team=` or `?sweep=` (not a number, not a UUID) or `?team=1&team=2` for
a one-value filter is a 400 at the parameter instead of silently "no filter".
"""

import django_filters
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

# Filters whose empty value is a valid text value in the schema.
TEXT_FILTERS = (django_filters.CharFilter,)
MULTI_FILTERS = (django_filters.MultipleChoiceFilter, django_filters.BaseInFilter)


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            errors = {}
            for name, filter_ in filterset_class.base_filters.items():
                if name not in request.query_params:
                    continue
                values = request.query_params.getlist(name)
                if len(values) > 1 and not isinstance(filter_, MULTI_FILTERS):
                    errors[name] = [_("Give one value.")]
                elif "" in values and not isinstance(filter_, TEXT_FILTERS):
                    errors[name] = [_("Give a value, or leave the parameter out.")]
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)

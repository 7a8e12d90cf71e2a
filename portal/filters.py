"""Query-string filter pieces (django-filter) shared by the apps' list endpoints."""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

ID_MAX = 2**63 - 1  # the largest primary key the database holds (64-bit ids)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number the database can hold. Anything else is a 400, never a query that
    overflows the database's integer (a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=ID_MAX, **kwargs)

    def get_max_validator(self):
        return None  # max_value bounds it already


__all__ = ["ID_MAX", "IdFilter"]

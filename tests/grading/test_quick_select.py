"""The regrade queue's filter selects (grading.filters.QuickSelect) write exactly the HTML of Django's
Select, which renders a template per option."""

import pytest
from django import forms

from grading.filters import QuickSelect

CHOICES = [
    [("", "All"), (1, "A&B"), (2, "<x>"), (30, 'q"uote')],
    [("active", "Open or claimed"), ("open", "Open"), ("claimed", "Claimed")],
    [("Group & co", [(1, "one"), (2, "two")]), (3, "three")],
    [(1, 5), (2, 6)],
]


@pytest.mark.parametrize("choices", CHOICES)
@pytest.mark.parametrize("value", [None, "", "1", 2, "active", "nothing"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_f"}, {"id": "id_f", "required": True, "data-x": 'a"b', "disabled": False}]
)
def test_quick_select_writes_what_django_select_writes(choices, value, attrs):
    assert QuickSelect(choices=choices).render("f&g", value, attrs) == forms.Select(choices=choices).render(
        "f&g", value, attrs
    )

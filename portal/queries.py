"""Small query helpers shared by the selectors, the services and the access rule."""

from typing import TypeVar

from django.db.models import QuerySet

Row = TypeVar("Row")


def row_by_key(queryset: "QuerySet[Row]") -> Row | None:
    """The one row of a query filtered on a unique key, or None; read without an ORDER BY. `first()` sorts
    by the model's order (or the primary key), and building that sort for a select_related row costs about
    a fifth of a one-row lookup: on every API request (the token) and every upload (its assignment)."""
    return next(iter(queryset.order_by()[:1]), None)

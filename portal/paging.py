"""A paginator for long, access-scoped lists: one query counts the rows and picks the page's keys
(`COUNT(*) OVER ()`), a second reads only that page's rows with everything the list shows.

Django's Paginator counts with one query and then reads the page with the whole list query, whose
per-row subqueries and joins the database may work out for every row before it sorts and cuts the page.
Here the expensive query only ever sees the page's keys. The pages it returns are the same: same rows,
same order, same count, same errors for a page number out of range."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Count, F, Lookup, Window

_LARGEST_OFFSET = 2**63 - 1  # OFFSET is a bigint: a page past it was a database error (a 500)


class CountedPagePaginator(Paginator):
    """For an ordered queryset, without orphans. `rows(keys)` reads the page's rows (in the list's order)
    from their primary keys, e.g. with the annotations only the shown rows need; by default the
    queryset itself, narrowed to the keys. Keep the queryset lean (its filters and order): every row of
    the list passes through the counting query."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, rows=None):
        if orphans:
            raise ValueError("CountedPagePaginator does not merge orphans into the last page.")
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.rows = rows or (lambda keys: self.object_list.filter(pk__in=keys))

    def page(self, number):
        number = self._page_int(number)
        if (number - 1) * self.per_page > _LARGEST_OFFSET:  # past any list's end, and past what SQL can skip
            raise EmptyPage(self.error_messages["no_results"])
        keys = self._page_keys(number)
        number = self.validate_number(number)  # raises EmptyPage past the end (counted by then)
        if not keys:
            return self._get_page([], number, self)
        rows = list(self.rows(keys))
        return self._get_page(rows, number, self)

    def get_page(self, number):
        # Django's get_page: a non-number is the first page, a number out of range the last page.
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def _page_int(self, number) -> int:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def _page_keys(self, number: int) -> list:
        """The page's primary keys in the list's order. The same query counts the list: `count` is known
        once the page has rows (or is the first page); past the end Django's COUNT query counts."""
        bottom = (number - 1) * self.per_page
        keys = list(
            self.object_list.prefetch_related(None)
            .annotate(_rows_in_list=Window(Count("pk")))
            .values_list("pk", "_rows_in_list")[bottom : bottom + self.per_page]
        )
        if keys or number == 1:
            self.__dict__["count"] = keys[0][1] if keys else 0
        return [pk for pk, _ in keys]


class _AnyOf(Lookup):
    """`lhs = ANY(%s)` with the keys as one array parameter (PostgreSQL): the statement is the same for any
    number of keys, so psycopg keeps its parsed form (it parses anew a statement of more than 50
    parameters, as `IN (%s, %s, …)` of a page of a hundred keys is, which cost more than the query)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


class RowsByKeys:
    """The rows of a values() queryset (ordered, built once from code alone) for a page's primary keys: a
    `rows` reader for CountedPagePaginator. Its SQL is the same for every page but for the keys, so it is
    compiled once (per database; elsewhere than PostgreSQL once per number of keys): a page costs the
    query, not Django building and compiling its subqueries and joins again. Nothing read is kept; the
    rows are the queryset's, narrowed to the keys (`queryset.filter(pk__in=keys)`), as dicts, in its
    order."""

    def __init__(self, queryset):
        self.queryset = queryset
        self._compiled: dict = {}

    def __call__(self, keys) -> list[dict]:
        keys = list(keys)
        connection = connections[self.queryset.db]
        as_array = connection.vendor == "postgresql"
        key = (connection.alias, connection.vendor, None if as_array else len(keys))
        if key not in self._compiled:
            self._compiled[key] = self._compile(None if as_array else len(keys))
        compiled = self._compiled[key]
        if compiled is None:  # the keys could not be told from the query's other values
            return list(self.queryset.filter(pk__in=keys))
        compiler, sql, params, slots, names = compiled
        params = list(params)
        for position, index in slots:
            params[position] = keys if index is None else keys[index]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        indexes = range(len(names))
        return [{names[i]: row[i] for i in indexes} for row in compiler.results_iter(results=[fetched])]

    def _compile(self, count: int | None):
        """The compiled query for `count` keys as as many parameters, or (None) for the keys as one array."""
        if count is None:
            marks = [-1_000_000_007]  # never a key: keys are positive; found by identity
            query = self.queryset.filter(_AnyOf(F("pk"), marks)).query
        else:
            marks = [-1_000_000_007 - i for i in range(count)]
            query = self.queryset.filter(pk__in=marks).query
        compiler = query.get_compiler(using=self.queryset.db)
        sql, params = compiler.as_sql()
        if count is None:
            slots = [(position, None) for position, p in enumerate(params) if p is marks]
            if len(slots) != 1:
                return None
        else:
            index_of = {mark: i for i, mark in enumerate(marks)}
            slots = [(position, index_of[p]) for position, p in enumerate(params) if p in index_of]
            if sorted(index for _, index in slots) != list(range(count)):
                return None
        # As Django's ValuesIterable names the columns.
        names = list(query.selected or [*query.extra_select, *query.values_select, *query.annotation_select])
        return compiler, sql, tuple(params), tuple(slots), names

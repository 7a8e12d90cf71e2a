"""Every CSV the portal writes goes through here: a cell that a spreadsheet would run as a formula (it
starts with = + - @ or a tab or carriage return) is written with a leading ' so it shows as text
(OWASP's "CSV injection"). Numbers stay numbers: -1.5 is a score, not a formula."""

import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def safe_cell(value):
    """The value as it may be written to a CSV cell."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS) or _NUMBER.match(value):
        return value
    return "'" + value


class SafeWriter:
    """csv.writer's interface (writerow, writerows), every cell through safe_cell."""

    def __init__(self, stream, *args, **kwargs):
        self._writer = csv.writer(stream, *args, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream, *args, **kwargs) -> SafeWriter:
    """Use instead of csv.writer for any CSV the portal hands out."""
    return SafeWriter(stream, *args, **kwargs)


__all__ = ["FORMULA_STARTS", "safe_cell", "writer"]

"""The one rule for reading a score that a person or a file gives, shared by the JSON API, the CSV imports
and the write service: a finite number with at most two decimal places that the database can hold.

Whether it fits a question (0 to the question's points) is the service's check, which knows the question.
"""

from decimal import Decimal, InvalidOperation

MAX_DIGITS = 7  # as grading.models' score columns: DecimalField(max_digits=7, decimal_places=2)
DECIMAL_PLACES = 2
_LIMIT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)


class ScoreError(ValueError):
    """The message names the value and says what to give instead."""


def score_parse(value: str | int | float | Decimal) -> Decimal:
    """The score as a Decimal, or ScoreError. Trailing zeros are fine ("25.000" is 25)."""
    if isinstance(value, bool):
        raise ScoreError(f"{value!r} is not a number: give a score such as 12.5.")
    text = str(value).strip()
    try:
        score = value if isinstance(value, Decimal) else Decimal(text)
    except (InvalidOperation, ValueError):
        raise ScoreError(f"{text[:40]!r} is not a number: give a score such as 12.5.") from None
    if not score.is_finite():  # NaN, sNaN, Infinity: Decimal reads them, no spreadsheet means them
        raise ScoreError(f"{text[:40]!r} is not a number: give a score such as 12.5.")
    if abs(score) >= _LIMIT:
        raise ScoreError(f"{text[:40]} is far larger than any score: give at most {_LIMIT - 1}.")
    if score != score.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
        raise ScoreError(
            f"{text[:40]} has more than {DECIMAL_PLACES} decimal places: round it to {DECIMAL_PLACES}."
        )
    return score + 0  # -0 reads as 0

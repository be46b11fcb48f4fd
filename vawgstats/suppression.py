"""The public edition's disclosure control.

Rule (stated in every public report): a count below
:data:`~vawgstats.definitions.SUPPRESSION_THRESHOLD` (10) is shown as "<10",
and a rate is not shown when its numerator or its denominator is below 10.
Hiding the rate when only the numerator is small is stricter than hiding it on
small denominators alone, because a rate and its denominator together give the
count back.  The restricted edition shows everything.
"""

from __future__ import annotations

import math

from .definitions import SUPPRESSED_LABEL, SUPPRESSION_THRESHOLD

EDITIONS = ("public", "restricted")
RATE_NOT_SHOWN = "not shown (<10)"

SUPPRESSION_STATEMENT = (
    f"This is the public edition: counts below {SUPPRESSION_THRESHOLD} are shown as "
    f"\"{SUPPRESSED_LABEL}\", and a rate is not shown when its numerator or denominator is below "
    f"{SUPPRESSION_THRESHOLD}, so that no small group of victims can be identified."
)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "nan")


def is_suppressed(count, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """True when ``count`` must be hidden in ``edition``."""
    return edition == "public" and not _missing(count) and float(count) < threshold


def count_text(count, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> str:
    """A count as text: "1,234", or "<10" when suppressed, or "–" when missing."""
    if _missing(count):
        return "–"
    if is_suppressed(count, edition, threshold):
        return SUPPRESSED_LABEL
    return f"{int(round(float(count))):,}"


def rate_hidden(numerator, denominator, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """True when a rate on these counts must not be shown in ``edition``."""
    return is_suppressed(numerator, edition, threshold) or is_suppressed(denominator, edition, threshold)

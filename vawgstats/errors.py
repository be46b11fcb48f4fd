"""The package's exception types.

Every error that a person can cause (a bad data file, a bad parameter file, a
missing renderer) is raised as a subclass of :class:`VawgstatsError` with a
message written for that person: it names the file, the column or key, the
rows where they apply, and what was expected.  The CLI turns these into a
one-paragraph message and exit status 2; anything else is a bug.
"""

from __future__ import annotations


class VawgstatsError(Exception):
    """Base class of every error the package raises on purpose."""

    exit_status = 2


class DataError(VawgstatsError):
    """A data file is missing, unreadable, or breaks the data contract."""


class ParamsError(VawgstatsError):
    """A parameter (YAML file, CLI option, period) is invalid."""


class RenderError(VawgstatsError):
    """A report could not be executed or rendered."""

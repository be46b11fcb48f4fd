"""Report units: what one report is about (London, a BCU or a borough).

The prepared tables hold every unit in one pass (``unit_type`` and ``unit``
columns, see :mod:`vawgstats.prepare`); a report notebook takes the unit's
type and code as papermill parameters and asks :func:`report_unit` for
everything that depends on them: the key of its rows in the tables, its name,
the boroughs it covers, the BCU it belongs to, the aims and targets that apply,
and the words that name it.

A borough report compares its borough with its BCU and with London; its aims
and targets are those of ``params/boroughs/<slug>.yaml`` where that file
states them, else its BCU's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .geography import (BCU_BY_CODE, BCU_CODES, BOROUGHS, BOROUGH_TO_BCU, ONS_CODES, bcu_code, borough_name,
                        borough_slug, council_name)

#: Units a report can be made for (London is the overview notebook's).
REPORT_UNIT_TYPES: tuple[str, ...] = ("bcu", "borough")


@dataclass(frozen=True)
class ReportUnit:
    """One BCU's or borough's report: its key in the tables, names, parameters and comparison units."""

    unit_type: str              # "bcu" or "borough"
    unit: str                   # its rows' ``unit`` in the prepared tables: a BCU code or a borough name
    bcu: str                    # the BCU's code (a borough's BCU for a borough)
    name: str                   # "North Area BCU", "Enfield"
    boroughs: tuple[str, ...]   # the boroughs the report covers
    aims: tuple[str, ...]
    targets: dict
    aims_from: str              # whose aims apply: "bcu" or "borough"
    targets_from: str           # whose targets apply: "bcu" or "borough"
    committee: str | None = None

    # ------------------------------------------------------------------ words

    @property
    def kind(self) -> str:
        """"BCU" or "borough"."""
        return "BCU" if self.unit_type == "bcu" else "borough"

    @property
    def bcu_name(self) -> str:
        """The BCU's name with "BCU", e.g. "North Area BCU"."""
        return f"{BCU_BY_CODE[self.bcu].name} BCU"

    @property
    def council(self) -> str | None:
        """The borough's council ("London Borough of Enfield"); None for a BCU."""
        return council_name(self.unit) if self.unit_type == "borough" else None

    @property
    def ons_code(self) -> str | None:
        return ONS_CODES[self.unit] if self.unit_type == "borough" else None

    @property
    def title(self) -> str:
        """The report's title line."""
        if self.unit_type == "bcu":
            return f"{self.name} ({self.bcu}): violence against women and girls"
        return f"{self.name} ({self.bcu_name}): violence against women and girls"

    @property
    def areas(self) -> str:
        """The header's "Area" line."""
        if self.unit_type == "bcu":
            return ", ".join(self.boroughs)
        others = [b for b in BCU_BY_CODE[self.bcu].boroughs if b != self.unit]
        text = (f"{self.unit} ({self.ons_code}), {self.council}; policed by the Met's {self.bcu_name} "
                f"({self.bcu}) with {_and(others)}")
        return text + (f". Scrutiny: {self.committee}" if self.committee else "")

    @property
    def compared_with(self) -> str:
        """What the headline figures are compared with, in words."""
        return "London" if self.unit_type == "bcu" else f"{self.bcu_name} and London"

    @property
    def funnel_label(self) -> str:
        """The funnel plot's population: "12 BCUs" or "32 boroughs"."""
        return f"{len(BCU_CODES)} BCUs" if self.unit_type == "bcu" else f"{len(BOROUGHS)} boroughs"

    @property
    def quality_units(self) -> list[str]:
        """The units of the data-quality table, in order."""
        if self.unit_type == "bcu":
            return [self.bcu, *self.boroughs, "London"]
        return [self.unit, self.bcu, "London"]

    @property
    def parameters(self) -> dict[str, str]:
        """The unit's entries in the provenance footer's parameters."""
        if self.unit_type == "bcu":
            return {"bcu": self.bcu}
        return {"borough": self.unit, "bcu": self.bcu}

    @property
    def output_stem(self) -> str:
        """The report's file name without suffix: ``bcu-NA``, ``borough-barking-and-dagenham``."""
        return report_stem(self.unit_type, self.unit)

    @property
    def also(self) -> dict[str, str]:
        """Units compared with beside London, as ``{column heading: unit}``: a borough's BCU."""
        return {} if self.unit_type == "bcu" else {self.bcu_name: self.bcu}

    @property
    def aims_source(self) -> str:
        """The sentence saying whose aims the report lists."""
        if self.aims_from == "borough":
            return f"The aims set for {self.unit} in its parameter file."
        if self.unit_type == "bcu":
            return "What the BCU said it would do, from its VAWG action plan."
        return (f"{self.unit} has no aims of its own in its parameter file, so these are the aims of "
                f"{self.bcu_name}, which polices it, from the BCU's VAWG action plan.")

    @property
    def targets_kind(self) -> str:
        """Whose targets apply: "BCU" or "borough"."""
        return "BCU" if self.targets_from == "bcu" else "borough"

    @property
    def targets_intro(self) -> str:
        """The sentence before the targets table."""
        whose = "the BCU's parameter file" if self.targets_from == "bcu" else "the borough's parameter file"
        if self.unit_type == "borough" and self.targets_from == "bcu":
            whose = f"{self.bcu_name}'s parameter file (the borough states none of its own)"
        return (f"Each target in {whose}, with the figure for the period and the change on the previous "
                f"period of the same length.")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def report_stem(unit_type: str, unit: str) -> str:
    """A report's file name without suffix: ``bcu-<CODE>`` or ``borough-<slug>``."""
    if unit_type == "bcu":
        return f"bcu-{bcu_code(unit)}"
    if unit_type == "borough":
        return f"borough-{borough_slug(borough_name(unit))}"
    raise ValueError(f"unit_type must be one of {', '.join(REPORT_UNIT_TYPES)}, not {unit_type!r}")


def report_unit(unit_type: str, unit: str, params_dir: str | os.PathLike | None = None) -> ReportUnit:
    """The report unit for ``unit_type`` ``"bcu"`` (a code or BCU name) or ``"borough"`` (name or ONS code).

    Reads and validates the parameter files that apply (the BCU's, and the
    borough's optional file); ParamsError on an unknown unit or a bad file.
    """
    from . import params
    from .errors import ParamsError

    kind = str(unit_type).strip().lower()
    if kind == "bcu":
        bcu_params = params.load_bcu_params(unit, params_dir)
        return ReportUnit(unit_type="bcu", unit=bcu_params.code, bcu=bcu_params.code,
                          name=f"{bcu_params.name} BCU", boroughs=tuple(bcu_params.boroughs),
                          aims=tuple(bcu_params.aims), targets=dict(bcu_params.targets), aims_from="bcu",
                          targets_from="bcu")
    if kind == "borough":
        name = borough_name(unit)
        code = BOROUGH_TO_BCU[name]
        bcu_params = params.load_bcu_params(code, params_dir)
        own = params.load_borough_params(name, params_dir)
        return ReportUnit(unit_type="borough", unit=name, bcu=code, name=name, boroughs=(name,),
                          aims=own.aims if own.aims is not None else tuple(bcu_params.aims),
                          targets=own.targets if own.targets is not None else dict(bcu_params.targets),
                          aims_from="bcu" if own.aims is None else "borough",
                          targets_from="bcu" if own.targets is None else "borough", committee=own.committee)
    raise ParamsError(f"Unknown report unit type {unit_type!r}: expected one of {', '.join(REPORT_UNIT_TYPES)}.")

"""Shared fixtures: small hand-built records and a small synthetic London."""

from __future__ import annotations

import pandas as pd
import pytest

from vawgstats import synthetic
from vawgstats.schema import CANONICAL_COLUMNS, parse_records

AS_OF = "2026-04-14"


def records(rows: list[dict], as_of: str = AS_OF) -> pd.DataFrame:
    """Canonical records from a few dicts; unspecified columns get harmless defaults."""
    defaults = {
        "recorded_date": "2024-01-15", "offence_date": "", "borough": "Enfield", "lsoa_code": "",
        "offence_group": "harassment", "domestic_abuse": "false", "victim_id": "", "victim_sex": "F",
        "victim_age": "", "suspect_id": "", "outcome_code": "", "outcome_date": "",
    }
    table = []
    for number, row in enumerate(rows, start=1):
        full = {"crime_id": f"C{number}", **defaults, **{k: str(v) for k, v in row.items()}}
        table.append(full)
    raw = pd.DataFrame(table, columns=list(CANONICAL_COLUMNS)).astype("string")
    return parse_records(raw, "test-records.csv", "csv", as_of=as_of)


@pytest.fixture
def make_records():
    return records


@pytest.fixture(scope="session")
def synthetic_small() -> pd.DataFrame:
    """Three years of synthetic London at 5% volume, loaded through the validator."""
    raw = synthetic.generate(seed=7, start="2023-04", end="2026-03", scale=0.05)
    return parse_records(raw, "synthetic.parquet", "parquet", as_of=AS_OF)


@pytest.fixture(scope="session")
def synthetic_csv(tmp_path_factory) -> "Path":
    from vawgstats.schema import write_records

    path = tmp_path_factory.mktemp("data") / "synthetic.csv"
    write_records(synthetic.generate(seed=3, start="2024-01", end="2024-06", scale=0.01), path)
    return path

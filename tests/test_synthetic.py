"""The synthetic London: deterministic and realistic in shape."""

import numpy as np
import pandas as pd

from vawgstats import in_vawg_scope, synthetic
from vawgstats.geography import BCU_CODES, BOROUGHS


def test_deterministic_for_a_seed_and_different_for_another():
    a = synthetic.generate(seed=5, start="2024-01", end="2024-03", scale=0.02)
    b = synthetic.generate(seed=5, start="2024-01", end="2024-03", scale=0.02)
    c = synthetic.generate(seed=6, start="2024-01", end="2024-03", scale=0.02)
    pd.testing.assert_frame_equal(a, b)
    assert not a["outcome_code"].equals(c["outcome_code"])


def test_volume_scope_and_coverage(synthetic_small):
    frame = synthetic_small
    per_year = in_vawg_scope(frame).sum() / 3 / 0.05
    assert 100_000 < per_year < 160_000                    # in-scope a year at scale 1
    assert set(frame["borough"].astype(str)) == set(BOROUGHS)
    assert frame["recorded_date"].min() >= pd.Timestamp("2023-04-01")
    assert frame["recorded_date"].max() <= pd.Timestamp("2026-03-31")
    assert frame["source"].eq(synthetic.SYNTHETIC_SOURCE).all()
    assert synthetic.is_synthetic(frame)


def test_volume_follows_female_population(synthetic_small):
    from vawgstats.geography import female_population

    scope = synthetic_small[in_vawg_scope(synthetic_small)]
    counts = scope.groupby("borough", observed=True).size()
    population = female_population("borough").reindex(counts.index)
    assert np.corrcoef(counts, population)[0, 1] > 0.7


def test_repeat_victims_charge_rates_and_pending(synthetic_small):
    frame = synthetic_small[in_vawg_scope(synthetic_small)]
    domestic = frame[frame["domestic_abuse"] & frame["victim_id"].notna()]
    crimes_per_victim = domestic.groupby("victim_id").size()
    repeat_share = (crimes_per_victim > 1).mean()
    assert 0.2 < repeat_share < 0.6

    settled = frame[frame["recorded_date"] < "2024-04-01"]
    charged = settled["outcome_code"].isin(["1", "1A"])
    by_group = charged.groupby(settled["offence_group"].astype(str)).mean()
    assert 0.01 < by_group["rape"] < 0.08
    assert 0.05 < by_group["violence_with_injury"] < 0.20
    assert by_group.max() < 0.2

    last_month = frame[frame["recorded_date"] >= "2026-03-01"]
    first_year = frame[frame["recorded_date"] < "2024-04-01"]
    assert last_month["outcome_code"].isna().mean() > 0.3
    assert first_year["outcome_code"].isna().mean() < 0.05


def test_missing_victim_ids_and_bcus_differ(synthetic_small):
    frame = synthetic_small
    assert 0.01 < frame["victim_id"].isna().mean() < 0.06
    scope = frame[in_vawg_scope(frame) & (frame["recorded_date"] < "2025-04-01")]
    rate = scope["outcome_code"].isin(["1", "1A"]).groupby(scope["bcu"], observed=True).mean()
    assert set(rate.index) == set(BCU_CODES)
    assert rate.max() / rate.min() > 1.2

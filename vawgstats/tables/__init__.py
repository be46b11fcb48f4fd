"""Report tables: formatted, suppressed for the public edition, written as Markdown.

Every function takes prepared tables (see :mod:`vawgstats.prepare`) and returns
a DataFrame of display strings; :func:`markdown` turns it into a pipe table
with a Quarto caption and label.  Markdown rather than HTML keeps Quarto's
output free of CDN scripts (see QUARTO.md) and prints cleanly.

The tables are split by concept into the modules of this package; every name stays
importable from ``vawgstats.tables``.
"""

# names the old single module imported, so tables.X still finds them
from .. import definitions as d  # noqa: F401
from ..geography import BCU_BY_CODE  # noqa: F401
from ..suppression import (COMPLEMENTARY_LABEL, COMPLEMENTARY_NOTE, RATE_NOT_SHOWN, Protected,  # noqa: F401
                           count_text, is_suppressed, protect, rate_hidden)
from .formatting import (  # noqa: F401
    METRIC_LABELS, MEASURE_LABELS, _missing, pct, interval, rate_text, markdown, _p_text, _change_text,
    _days_change_text, position_phrase, _overdispersed,
)
from .headline import (  # noqa: F401
    follow_up_days, follow_up_note, same_comparison, change_heading, _headline_cells, headline,
    _comparison_columns, gap_note, population_year_text, population_note, _months, boroughs, funnel_positions,
    _bcu_link, report_links, league,
)
from .outcomes import (  # noqa: F401
    offence_outcomes, repeat, repeat_note, repeat_suspects,
)
from .quality import (  # noqa: F401
    places, quality, QUALITY_LSOA_OTHER_BOROUGH, _has_gaps, gap_months_text, places_section,
)
from .text import (  # noqa: F401
    code_sets, SYNTHETIC_BANNER, POLICEUK_NOTE, header, summary, funnel_note, _flag_only, provenance,
    PENDING_NOTE, trend_months, trend_note, pending_from,
)
from .chart_text import (  # noqa: F401
    _value, xmr_alt_text, signals_sentence, plottable, funnel_alt_text, map_rates, map_alt_text,
    multiples_alt_text, interval_rows, london_value, interval_alt_text,
)
from .targets import (  # noqa: F401
    _SOUGHT, _target_text, targets, targets_table,
)
from .open_edition import (  # noqa: F401
    OPEN_MEASURE_LABELS, OPEN_DATA_NOTE, _count_change_text, _per_year, _open_months, open_headline,
    _open_rate_text, open_boroughs, open_funnel_positions, ward_hotspots, wards_section, breakdown,
    open_quality, open_months_sentence, open_summary, open_league, open_interval_rows, open_interval_alt_text,
    open_header, empty_unit_text,
)

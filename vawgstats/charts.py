"""Charts for the reports: accessible palette, captions, alt text, greyscale-safe.

Colours are the UK Government Analysis Function's colour-blind-safe
categorical palette.  Every chart also separates series by marker and line
style, so it reads when printed in greyscale.  Charts only draw numbers that
the prepared tables already hold; they compute no statistics except the SPC
limits, which come from :func:`vawgstats.stats.spc_signals`.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: Analysis Function categorical palette (dark blue, turquoise, dark pink, orange, dark grey, light purple).
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = PALETTE
LIGHT_GREY = "#BFBFBF"

plt.rcParams.update({
    "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.titlesize": 11,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "#E5E5E5", "grid.linewidth": 0.6, "legend.frameon": False,
    "svg.hashsalt": "vawgstats", "path.simplify": False,
})


def png_bytes(figure) -> bytes:
    """The figure as PNG bytes, cut to what is drawn as ``savefig(bbox_inches="tight")`` cuts it,
    deterministic: no timestamps in the metadata.

    The figure is drawn once on its canvas and the tight box cut out of that image
    (:func:`_drawn_tight`), then written by :func:`_write_png`.  ``savefig(bbox_inches="tight")``
    lays the figure out twice (to find the box, then to draw into it) with a renderer of
    its own, which measures every text again.  A figure with a layout engine, or saved
    with other colours than its own, goes through ``savefig`` as before.
    """
    buffer = io.BytesIO()
    try:
        image = _drawn_tight(figure)
        if image is None:
            figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
        else:
            _write_png(buffer, image, figure.dpi)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _write_png(buffer, image: np.ndarray, dpi: float) -> None:
    """An RGBA image as PNG: RGB when it is opaque throughout (as charts are), at zlib level 3,
    which writes about as many bytes as matplotlib's RGBA at level 6 in about half the time."""
    from PIL import Image

    if (image[..., 3] == 255).all():
        image = np.ascontiguousarray(image[..., :3])
    Image.fromarray(image).save(buffer, format="png", dpi=(dpi, dpi), compress_level=3)


def _drawn_tight(figure) -> np.ndarray | None:
    """The figure drawn at ``savefig.dpi`` (an RGBA array) and cut to its tight box padded by
    ``savefig.pad_inches``, as ``savefig(bbox_inches="tight")`` would save it; None when that
    cannot be done so (see :func:`png_bytes`).

    Drawn on its own canvas, whose renderer measured the texts for ``tight_layout``
    already (the figures are made at ``savefig.dpi``), and the box is found with that
    renderer too.  Padding past the canvas is the figure's background; what is drawn past
    it (a legend beside a map) is drawn again, once, into exactly the tight box.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import PlaceHolderLayoutEngine
    from matplotlib.transforms import Affine2D, Bbox, TransformedBbox

    rc = plt.rcParams
    if (not isinstance(figure.canvas, FigureCanvasAgg) or rc["savefig.transparent"]
            or not all(str(rc[f"savefig.{c}"]) == "auto" for c in ("facecolor", "edgecolor"))):
        return None
    engine = figure.get_layout_engine()
    if isinstance(engine, PlaceHolderLayoutEngine) and not (rc["figure.autolayout"] or
                                                            rc["figure.constrained_layout.use"]):
        figure.set_layout_engine(None)  # left by tight_layout(): it lays out nothing, but savefig would first
    elif engine is not None:
        return None
    dpi = figure.dpi if rc["savefig.dpi"] == "figure" else float(rc["savefig.dpi"])
    figure.set_dpi(dpi)
    canvas = figure.canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    content = figure.get_tightbbox(renderer)
    box = content.padded(rc["savefig.pad_inches"])
    image = np.asarray(canvas.buffer_rgba())
    rows, columns = image.shape[:2]
    size = int(box.width * dpi), int(box.height * dpi)  # as savefig sizes the tight image
    x0, y0 = int(round(box.x0 * dpi)), int(round(rows - box.y1 * dpi))
    if not np.isfinite([box.x0, box.y1, box.width, box.height]).all():
        return None
    if (content.x0 * dpi < 0 or content.y0 * dpi < 0 or content.x1 * dpi > columns
            or content.y1 * dpi > rows):
        raw = io.BytesIO()  # drawn past the canvas: draw once more, into the tight box
        figure.savefig(raw, format="rgba", dpi=dpi, bbox_inches=box)
        columns, rows = (int(v) for v in
                         TransformedBbox(Bbox.from_bounds(0, 0, *box.size), Affine2D().scale(dpi)).size)
        if len(raw.getbuffer()) != rows * columns * 4:
            return None
        return np.frombuffer(raw.getbuffer(), dtype=np.uint8).reshape(rows, columns, 4).copy()
    background = np.round(np.asarray(matplotlib.colors.to_rgba(figure.get_facecolor())) * 255).astype(np.uint8)
    tight = np.empty((size[1], size[0], 4), dtype=np.uint8)
    tight[...] = background
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + size[1], rows), min(x0 + size[0], columns)
    tight[top - y0:bottom - y0, left - x0:right - x0] = image[top:bottom, left:right]
    return tight


def show(figure, alt: str) -> None:
    """Display a figure as PNG with its alt text (read by the HTML template)."""
    from IPython.display import Image, display

    display(Image(data=png_bytes(figure), format="png"), metadata={"image/png": {"alt": alt}})


def period_label(period: str, long: bool = False) -> str:
    """A month ("2025-01" -> "Jan 25", long "Jan 2025") or a quarter ("2025Q1" -> "Q1 25", "Q1 2025")."""
    text = str(period)
    if "Q" in text:
        quarter = pd.Period(text, freq="Q")
        return f"Q{quarter.quarter} {quarter.year if long else str(quarter.year)[-2:]}"
    return pd.Period(text).strftime("%b %Y" if long else "%b %y")


def _month_axis(ax, months: list[str]) -> None:
    step = max(1, len(months) // 8)
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels([period_label(m) for m in months[::step]], rotation=0)


def clip_limits(signals: pd.DataFrame, percent: bool) -> pd.DataFrame:
    """Control limits where values can lie: a count's at 0 or more, a rate's within 0% to 100%."""
    signals = signals.copy()
    for column in ("centre", "ucl", "lcl"):
        signals[column] = signals[column].clip(lower=0.0, upper=1.0 if percent else None)
    return signals


def xmr_chart(months: list[str], values: list[float], *, title: str, ylabel: str,
              percent: bool = False, shade_from: str | None = None, note: str = ""):
    """An XmR (individuals) chart with mean, limits and signal points marked.

    ``shade_from`` greys the months from that month on (e.g. outcomes still pending); with
    quarters on the axis (see :func:`vawgstats.suppression.chart_series`), from its quarter.
    Missing values are gaps (suppressed points, and gap months in the data:
    :mod:`vawgstats.coverage`), never zeros, and left out of the limits and rules.  ``note`` (e.g. what the public edition withholds) is printed
    under the chart.  Returns ``(figure, signals)`` where ``signals`` is the table from
    :func:`vawgstats.stats.spc_signals` with the limits clipped by :func:`clip_limits`.
    """
    from .stats import spc_signals

    months = [str(m) for m in months]
    series = pd.Series(values, dtype=float)
    signals = clip_limits(spc_signals(series.to_numpy()), percent)
    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = np.arange(len(series))
    scale = 100.0 if percent else 1.0
    ax.plot(x, series * scale, color=DARK_BLUE, marker="o", markersize=3.5, linewidth=1.4, label="Monthly value")
    ax.plot(x, signals["centre"] * scale, color=DARK_GREY, linewidth=1.0, linestyle="-", label="Mean")
    ax.plot(x, signals["ucl"] * scale, color=DARK_GREY, linewidth=1.0, linestyle="--", label="Control limits")
    ax.plot(x, signals["lcl"] * scale, color=DARK_GREY, linewidth=1.0, linestyle="--")
    flagged = signals["signal"].to_numpy(dtype=bool)
    if flagged.any():
        ax.scatter(x[flagged], series[flagged] * scale, s=46, facecolors="none", edgecolors=ORANGE,
                   linewidths=1.8, marker="s", zorder=3, label="Signal (SPC rule)")
    if shade_from is not None and months and "Q" in months[0]:
        shade_from = str(pd.Period(shade_from, freq="M").asfreq("Q"))
    if shade_from is not None and shade_from in months:
        first = months.index(shade_from)
        ax.axvspan(first - 0.5, len(months) - 0.5, color=LIGHT_GREY, alpha=0.35, hatch="//", linewidth=0,
                   label="Outcomes still pending")
    _month_axis(ax, months)
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel + (" (%)" if percent else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7.5, color=DARK_GREY, ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.07, 1, 1) if note else None)  # no rect: one layout pass, the same result
    return fig, signals


def xmr_for_edition(frame: pd.DataFrame, value: str, edition: str, *, numerator: str | None = None,
                    denominator: str | None = None, **chart):
    """An XmR chart of ``frame[value]`` by month as ``edition`` may show it.

    The series goes through :func:`vawgstats.suppression.chart_series` first (gaps, or
    quarters, in the public edition), and its note is printed under the chart.  Returns
    ``(figure, signals, plotted)``: ``plotted`` is the series drawn, for the alt text.
    """
    from .suppression import chart_series

    plotted = chart_series(frame, value=value, edition=edition, numerator=numerator, denominator=denominator)
    figure, signals = xmr_chart(plotted["month"].tolist(), plotted[value].tolist(),
                                note=plotted.attrs.get("note", ""), **chart)
    return figure, signals, plotted


def funnel_plot(table: pd.DataFrame, *, highlight: str | None, title: str, xlabel: str, ylabel: str,
                scale: float = 100.0, unit: str = "%", kind: str | None = None):
    """Funnel plot: each unit's rate against its denominator, with 95% and 99.8% limits.

    ``table`` is one metric's rows of the prepared ``funnel`` table for one level.
    Rates are proportions, drawn times ``scale`` (100: percentages; 1,000: per
    1,000) and labelled with ``unit``.  The limits drawn are the table's:
    widened by its over-dispersion ``tau2`` when it has one, on the arcsine
    square-root scale for proportions or the square-root scale for rates per
    head (``kind``; default "rate" when ``scale`` is 1,000, else "proportion").
    """
    table = table.dropna(subset=["rate"]).sort_values("denominator")
    fig, ax = plt.subplots(figsize=(7, 4))
    if table.empty:
        ax.text(0.5, 0.5, "No data", ha="center", transform=ax.transAxes)
        return fig
    from .stats import funnel_limits as limits

    grid = np.unique(np.round(np.linspace(max(1.0, table["denominator"].min() * 0.8),
                                          table["denominator"].max() * 1.15, 60)))
    # The limits drawn are those of the table: widened by its over-dispersion (tau2) when it has one.
    tau2 = float(table["tau2"].iloc[0]) if "tau2" in table.columns and pd.notna(table["tau2"].iloc[0]) else 0.0
    kind = kind or ("rate" if scale == 1000 else "proportion")
    curve = limits(grid, float(table["london_rate"].iloc[0]), tau2=tau2, kind=kind)
    for upper, lower, style, label in (("upper_998", "lower_998", "--", "99.8% limits"),
                                       ("upper_95", "lower_95", ":", "95% limits")):
        ax.plot(grid, curve[upper] * scale, color=DARK_GREY, linestyle=style, linewidth=1.1, label=label)
        ax.plot(grid, curve[lower] * scale, color=DARK_GREY, linestyle=style, linewidth=1.1)
    ax.axhline(table["london_rate"].iloc[0] * scale, color=DARK_GREY, linewidth=1, label="London")
    others = table[table["unit"] != highlight]
    ax.scatter(others["denominator"], others["rate"] * scale, color=TURQUOISE, marker="o", s=30,
               edgecolors="white", linewidths=0.5, label="Other units", zorder=3)
    for _, row in others.iterrows():
        ax.annotate(str(row["unit"]), (row["denominator"], row["rate"] * scale), fontsize=7,
                    xytext=(3, 3), textcoords="offset points", color=DARK_GREY)
    mine = table[table["unit"] == highlight]
    if not mine.empty:
        ax.scatter(mine["denominator"], mine["rate"] * scale, color=DARK_PINK, marker="D", s=60,
                   edgecolors="black", linewidths=0.8, label=str(highlight), zorder=4)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{ylabel} ({unit})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def multiples_series(monthly: pd.DataFrame, units: list[str], value: str, edition: str) -> dict[str, pd.DataFrame]:
    """Each unit's series as the edition may plot it (see :func:`vawgstats.suppression.chart_series`).

    A rate (``value="rate"``) is of ``charged`` over ``crimes``, ``"rate_within"`` of
    ``charged_within`` over ``crimes``; any other value is a count.
    When one panel has to be shown by quarter, all are, so that the panels share an axis.
    """
    from .suppression import chart_series

    counts = ({"numerator": "charged", "denominator": "crimes"} if value == "rate" else
              {"numerator": "charged_within", "denominator": "crimes"} if value == "rate_within" else {})
    mine = {unit: monthly[monthly["unit"] == unit] for unit in units}
    shown = {unit: chart_series(frame, value=value, edition=edition, **counts) for unit, frame in mine.items()}
    if any(s["month"].astype(str).str.contains("Q").any() for s in shown.values()):
        shown = {unit: chart_series(frame, value=value, edition=edition, quarterly=True, **counts)
                 for unit, frame in mine.items()}
    return shown


def multiples_note(shown: dict[str, pd.DataFrame], value: str) -> str:
    """What the public edition withheld from small multiples, in one sentence (or ""), and
    the gap months in the data (:func:`vawgstats.suppression.gap_sentence`)."""
    from .suppression import gap_sentence

    gap_note = gap_sentence(sorted({m for s in shown.values() for m in s.attrs.get("gaps", [])}))
    if not any(s.attrs.get("withheld") for s in shown.values()):
        return gap_note
    quarterly = any(s["month"].astype(str).str.contains("Q").any() for s in shown.values())
    gaps = sum(int(s[value].isna().sum()) for s in shown.values())
    return (("Shown by quarter in the public edition, because months with a count below 10 are not shown"
             if quarterly else "Months with a count below 10 are left blank in the public edition")
            + (f"; {gaps} blank {'period' if gaps == 1 else 'periods'} across the panels" if gaps else "") + "."
            + (f" {gap_note}" if gap_note else ""))


def small_multiples(monthly: pd.DataFrame, units: list[str], names: dict[str, str], *, value: str,
                    title: str, percent: bool = False, edition: str = "public"):
    """One small panel per unit of a monthly series, four to a row, on shared axes.

    The public edition plots no count below 10 and no rate on a count below 10
    (:func:`multiples_series`); withheld months are gaps in the line, and the note saying
    so is printed under the panels.  Laid out as seaborn's ``FacetGrid(col_wrap=4,
    height=2.1, aspect=1.19)`` lays it out (tick labels on the outer panels only), with
    matplotlib alone: the grid laid the figure out three times.
    """
    shown = multiples_series(monthly, units, value, edition)
    note = multiples_note(shown, value)
    scale = 100.0 if percent else 1.0
    columns, height, aspect = 4, 2.1, 1.19
    rows = max(1, -(-len(units) // columns))
    fig = plt.figure(figsize=(columns * height * aspect, rows * height))
    axes = []
    for i, unit in enumerate(units):
        shared = {"sharex": axes[0], "sharey": axes[0]} if axes else {}
        ax = fig.add_subplot(rows, columns, i + 1, **shared)
        axes.append(ax)
        series = shown[unit]
        # plain plot (not sns.lineplot) so that a withheld month stays a gap, not a bridged line
        ax.plot(np.arange(len(series)), series[value].to_numpy(dtype=float) * scale, color=DARK_BLUE,
                linewidth=1.2, marker="o", markersize=1.8)
        ax.set_title(names.get(unit, unit), fontsize=9, loc="left")  # at the left, as in the other charts
    empty = rows * columns - len(units)
    for i, ax in enumerate(axes):
        if i < columns * (rows - 1) - empty:  # a panel below it: no x tick labels
            ax.tick_params(labelbottom=False)
        if i % columns:  # a panel to its left: no y tick labels
            ax.tick_params(labelleft=False)
    months = shown[units[0]]["month"].astype(str).tolist() if units else []
    for ax in axes:
        ax.tick_params(labelsize=7)
        if months:
            ax.set_xticks([0, len(months) - 1])
            ax.set_xticklabels([period_label(months[0]), period_label(months[-1])])
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    if note:
        fig.text(0.01, 0.005, note, fontsize=7.5, color=DARK_GREY, ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04 if note else 0, 1, 1))
    return fig


def heatmap_rates(monthly: pd.DataFrame, units: list[str], names: dict[str, str], edition: str) -> pd.DataFrame:
    """In-scope crimes a month per 1,000 women and girls, one row per unit and one column per month
    (or quarter, when the public edition shows the panels by quarter), from the counts the edition
    may show (:func:`multiples_series`): a withheld count is a missing rate."""
    from .geography import female_population

    shown = multiples_series(monthly, units, "crimes", edition)
    population = female_population("bcu")
    rows = {}
    for unit in units:
        series = shown[unit]
        months_each = np.where(series["month"].astype(str).str.contains("Q"), 3.0, 1.0)
        rows[names.get(unit, unit)] = pd.Series(
            series["crimes"].to_numpy(dtype=float) / months_each / float(population[unit]) * 1000,
            index=[period_label(m) for m in series["month"].astype(str)])
    return pd.DataFrame(rows).T


def monthly_heatmap(monthly: pd.DataFrame, units: list[str], names: dict[str, str], *, title: str,
                    edition: str = "public"):
    """A BCU-by-month heatmap (seaborn) of in-scope crimes a month per 1,000 women and girls
    (:func:`heatmap_rates`); a cell the public edition withholds is left blank and said so."""
    import seaborn as sns

    rates = heatmap_rates(monthly, units, names, edition)
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(rates) + 1.6))
    sns.heatmap(rates, ax=ax, cmap="Blues", linewidths=0.4, linecolor="white", mask=rates.isna(),
                cbar_kws={"label": "Crimes a month per 1,000 women and girls", "shrink": 0.8})
    ax.set_facecolor("#b1b4b6")  # withheld cells: mid grey, unlike any shade of the scale
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(labelsize=7)
    step = max(1, len(rates.columns) // 12)
    ax.set_xticks(np.arange(0, len(rates.columns), step) + 0.5)
    ax.set_xticklabels(list(rates.columns)[::step], rotation=0)
    ax.set_title(title, loc="left")
    if rates.isna().to_numpy().any():
        fig.text(0.01, 0.005, "Grey cells: a count below 10, not shown in the public edition.", fontsize=7.5,
                 color=DARK_GREY, ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def heatmap_alt_text(rates: pd.DataFrame) -> str:
    """Alt text of :func:`monthly_heatmap`: what it shows and where the rate was highest and lowest."""
    values = rates.stack().dropna()
    if values.empty:
        return "Heatmap of monthly in-scope crimes per 1,000 women and girls by BCU: no month can be shown."
    high, low = values.idxmax(), values.idxmin()
    return (f"Heatmap of in-scope crimes a month per 1,000 women and girls, {len(rates)} BCUs by "
            f"{rates.shape[1]} periods from {rates.columns[0]} to {rates.columns[-1]}. Highest: {high[0]} in "
            f"{high[1]} ({values.max():.2f}); lowest: {low[0]} in {low[1]} ({values.min():.2f}).")


def interval_chart(table: pd.DataFrame, *, label: str, title: str, xlabel: str, reference: float | None,
                   scale: float = 100.0, unit: str = "%", kind: str | None = None):
    """Dot-and-interval chart (a league table), sorted by value; values times ``scale`` (100: percentages)."""
    table = table.sort_values("rate")
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(table) + 1.2))
    y = np.arange(len(table))
    ax.errorbar(table["rate"] * scale, y, xerr=[(table["rate"] - table["ci_low"]) * scale,
                                                (table["ci_high"] - table["rate"]) * scale],
                fmt="o", color=DARK_BLUE, ecolor=DARK_GREY, elinewidth=1.2, capsize=3, markersize=5)
    if reference is not None and not np.isnan(reference):
        ax.axvline(reference * scale, color=DARK_PINK, linestyle="--", linewidth=1, label="London")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(table[label])
    ax.set_title(title, loc="left")
    ax.set_xlabel(f"{xlabel} ({unit})")
    fig.tight_layout()
    return fig


def borough_map(rates: pd.DataFrame, *, highlight: list[str] | None, title: str,
                label: str = "In-scope crimes per 1,000 women and girls"):
    """Choropleth of boroughs by rate per 1,000 women and girls (greyscale-safe sequential blues).

    ``rates`` has ``borough`` and ``per_year_per_1000`` (the rate a year, so that periods of any
    length read on the same scale as the title's "annualised").  Boroughs in ``highlight``
    are outlined and labelled; the City of London is drawn blank (not Met).
    """
    from .areas import shapes
    from .maps import polygons

    values = rates.set_index("borough")["per_year_per_1000"]
    cmap = matplotlib.colormaps["Blues"]
    low, high = float(values.min()), float(values.max())
    fig, ax = plt.subplots(figsize=(7, 5.6))
    # the other boroughs, then the highlighted ones over them (outlined): one collection each
    groups = {False: ([], []), True: ([], [])}
    for properties, rings in shapes("boroughs"):
        name = properties["name"]
        value = values.get(name, np.nan)
        colour = "white" if np.isnan(value) else cmap(0.15 + 0.85 * (value - low) / max(high - low, 1e-9))
        outlined = bool(highlight) and name in highlight
        groups[outlined][0].extend(rings)
        groups[outlined][1].extend([colour] * len(rings))
        if outlined:
            ring = max(rings, key=len)
            ax.annotate(name, ring.mean(axis=0), ha="center", fontsize=7, zorder=4,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    for outlined, (rings, colours) in groups.items():
        if rings:
            ax.add_collection(polygons(rings, facecolor=colours, edgecolor="black" if outlined else "#777777",
                                       linewidth=1.6 if outlined else 0.4, zorder=3 if outlined else 2))
    ax.autoscale_view()
    ax.set_aspect(1.6)
    ax.axis("off")
    mappable = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(low, high), cmap=cmap)
    fig.colorbar(mappable, ax=ax, shrink=0.6, label=label)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def points_map(latitude: pd.Series, longitude: pd.Series, *, title: str):
    """Hexagonal-bin density map of crime locations (for data with coordinates)."""
    fig, ax = plt.subplots(figsize=(7, 5.6))
    hb = ax.hexbin(longitude, latitude, gridsize=35, cmap="Blues", mincnt=1, linewidths=0.2)
    fig.colorbar(hb, ax=ax, shrink=0.6, label="Crimes per hexagon")
    ax.set_aspect(1.6)
    ax.set_xlabel("Longitude")
    ax.set_ylabel("Latitude")
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig

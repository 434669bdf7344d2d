"""Server-rendered SVG bar charts: the data classes and the one layout function.

A selector builds ``Bar``s, calls ``bar_chart`` and hands the ``BarChart`` to
``templates/includes/_bar_chart.html``, which draws it with the ``chart-*`` classes
of site.css. All positions are SVG user units inside the chart's viewBox.
"""

import math
from dataclasses import dataclass, field


@dataclass
class Bar:
    label: str
    value: int
    tick: str = ""  # the axis text, when shorter than the label
    band: int | None = None  # a colour band (class chart-band-N), e.g. of percentiles
    note: str = ""  # added to the bar's tooltip, e.g. ", 25th–49th percentile"
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    label_x: float = 0
    value_y: float = 0
    show_label: bool = True
    phone_label: bool = True  # False: the label is dropped on a phone (every other one)


@dataclass(frozen=True)
class Gridline:
    y: float
    value: int


@dataclass(frozen=True)
class ChartStyle:
    """The geometry of a chart.

    scale "nice": the axis runs to a round number with gridlines at each quarter;
    scale "max": it runs to the largest value with gridlines at half and at the top.
    show_values draws each bar's value above it and a base line.
    """

    width: int = 420
    height: int = 240
    top: int = 12
    right: int = 8
    bottom: int = 44
    left: int = 40
    bar_share: float = 0.78  # of each bar's slot; the rest is the gap
    label_gap: int = 17  # from the plot's bottom to the axis labels' baseline
    scale: str = "nice"
    show_values: bool = False


# The profile's count charts (ratings, viewings): counts over the bars, the axis up to
# the largest count.
COUNTS_CHART = ChartStyle(
    width=520,
    height=220,
    top=24,
    right=0,
    bottom=30,
    left=34,
    bar_share=0.72,
    label_gap=22,
    scale="max",
    show_values=True,
)


@dataclass
class BarChart:
    slug: str
    title: str
    bars: list[Bar]
    description: str = ""
    x_label: str = ""
    unit: str = "rating"
    style: ChartStyle = field(default_factory=ChartStyle)
    plot_left: float = 0
    plot_right: float = 0
    plot_bottom: float = 0
    label_y: float = 0
    max_value: int = 0
    gridlines: list[Gridline] = field(default_factory=list)

    @property
    def width(self) -> int:
        return self.style.width

    @property
    def height(self) -> int:
        return self.style.height

    @property
    def show_values(self) -> bool:
        return self.style.show_values

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def has_bands(self) -> bool:
        return any(bar.band is not None for bar in self.bars)


def nice_ceiling(value: int) -> int:
    """The smallest "round" number (1, 2, 4 or 5 times a power of ten) that fits 4 gridlines."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 4, 5, 10):
        if factor * magnitude >= value and (factor * magnitude) % 4 == 0:
            return factor * magnitude
    return math.ceil(value / 4) * 4


def bar_chart(
    slug: str,
    title: str,
    bars: list[Bar],
    *,
    description: str = "",
    x_label: str = "",
    unit: str = "rating",
    style: ChartStyle | None = None,
    label_every: int | None = None,
) -> BarChart:
    """Place the bars in the chart's viewBox and return the chart.

    ``label_every``: label one bar in N (about ten labels when not given); the last
    bar is always labelled when N is given.
    """
    style = style or ChartStyle()
    chart = BarChart(slug, title, bars, description, x_label, unit, style)
    plot_width = style.width - style.left - style.right
    plot_height = style.height - style.top - style.bottom
    chart.plot_left, chart.plot_right = style.left, style.width - style.right
    chart.plot_bottom = style.height - style.bottom
    chart.label_y = chart.plot_bottom + style.label_gap
    chart.max_value = max((bar.value for bar in bars), default=0)
    if style.scale == "nice":
        axis_max = nice_ceiling(chart.max_value)
        steps = [axis_max * step / 4 for step in range(5)]
    else:
        axis_max = chart.max_value
        # Whole values only: half the maximum (rounded down) and the maximum.
        steps = sorted({max(1, axis_max // 2), axis_max}) if axis_max else []
    chart.gridlines = [
        Gridline(round(chart.plot_bottom - plot_height * value / axis_max, 2), round(value))
        for value in steps
    ]
    count = max(1, len(bars))
    slot = plot_width / count
    every = label_every or math.ceil(count / 10)
    for index, bar in enumerate(bars):
        bar.width = round(slot * style.bar_share, 2)
        bar.x = round(style.left + slot * index + (slot - bar.width) / 2, 2)
        bar.height = round(plot_height * bar.value / axis_max, 2) if axis_max else 0
        bar.y = round(chart.plot_bottom - bar.height, 2)
        bar.label_x = round(style.left + slot * index + slot / 2, 2)
        bar.value_y = round(bar.y - 6, 2)
        is_last = label_every is not None and index == count - 1
        bar.show_label = index % every == 0 or is_last
        # On a phone every other label; when the last bar is odd and labelled, the even
        # one just before it gives way (its neighbour's text would run into it).
        before_odd_last = label_every is not None and count % 2 == 0 and index == count - 2
        bar.phone_label = (index % 2 == 0 and not before_odd_last) or is_last
    return chart

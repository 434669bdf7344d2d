import pytest

from core.charts import Bar, ChartStyle, bar_chart, nice_ceiling

MAX = ChartStyle(width=520, height=220, top=24, right=0, bottom=30, left=34, scale="max")


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 4), (3, 4), (5, 8), (27, 40), (143, 200), (1000, 1000)]
)
def test_nice_ceiling_is_a_round_number_divisible_into_quarters(value, expected):
    assert nice_ceiling(value) == expected


def test_nice_scale_places_bars_and_five_gridlines():
    chart = bar_chart("s", "S", [Bar("a", 10), Bar("b", 5), Bar("c", 0), Bar("d", 20)])
    # Default style: 420 x 240, plot from x 40 to 412 and y 12 to 196 (184 high), axis to 20.
    assert (chart.plot_left, chart.plot_right, chart.plot_bottom) == (40, 412, 196)
    assert [(g.y, g.value) for g in chart.gridlines] == [
        (196, 0),
        (150, 5),
        (104, 10),
        (58, 15),
        (12, 20),
    ]
    a, b, c, d = chart.bars
    assert a.width == 72.54  # 93 wide slots, 78% of each
    assert a.x == 50.23 and a.label_x == 86.5
    assert (a.height, a.y) == (92, 104)
    assert (b.height, c.height, d.height) == (46, 0, 184)
    assert d.y == 12
    assert chart.label_y == 213
    assert chart.total == 35


def test_about_ten_labels_by_default():
    chart = bar_chart("y", "Y", [Bar(str(n), n) for n in range(25)])
    shown = [bar.label for bar in chart.bars if bar.show_label]
    assert shown == [str(n) for n in range(0, 25, 3)]


def test_label_every_also_labels_the_last_bar():
    chart = bar_chart("y", "Y", [Bar(str(n), 1) for n in range(6)], label_every=4, style=MAX)
    assert [bar.show_label for bar in chart.bars] == [True, False, False, False, True, True]


def test_max_scale_gridlines_sit_at_whole_counts():
    chart = bar_chart("p", "P", [Bar("a", 3), Bar("b", 1)], style=MAX)
    heights = {line.value: chart.plot_bottom - line.y for line in chart.gridlines}
    assert set(heights) == {1, 3}
    assert heights[1] * 3 == pytest.approx(heights[3], abs=0.05)
    assert chart.plot_bottom - chart.bars[0].y == pytest.approx(heights[3], abs=0.05)
    assert chart.bars[0].value_y == round(chart.bars[0].y - 6, 2)


def test_max_scale_without_data_has_no_gridlines_and_flat_bars():
    chart = bar_chart("p", "P", [Bar("a", 0), Bar("b", 0)], style=MAX)
    assert chart.gridlines == []
    assert all(bar.height == 0 for bar in chart.bars)
    assert chart.total == 0


def test_has_bands_only_when_a_bar_has_one():
    assert not bar_chart("p", "P", [Bar("a", 1)]).has_bands
    assert bar_chart("p", "P", [Bar("a", 1), Bar("b", 1, band=2)]).has_bands

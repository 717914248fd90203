"""Charts drawn as SVG: valid, labelled, escaped, honest about gaps, mirrored, and readable."""

import ast
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from jinja2 import Environment, FileSystemLoader

from feedback import charts
from feedback.charts import ChartText, Series, bar_chart, line_chart, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"
TEMPLATES = Path(__file__).resolve().parents[2] / "feedback" / "templates"
HOSTILE = '<script>alert("x")</script> & "quotes"'
MONTHS = ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025"]


def percent_series(name, values):
    return Series(name, values, ["*" if v is None else f"{v:g}%" for v in values])


def a_bar_chart(**overrides):
    arguments = {
        "title": "Positive by channel",
        "description": "Web 62%, text message 48%, paper not shown.",
        "categories": ["Web", "Text message", "Paper"],
        "series": [percent_series("2025", [62, 48, None])],
        "category_label": "Channel",
    }
    return bar_chart(**{**arguments, **overrides})


def a_stacked_chart(**overrides):
    arguments = {
        "title": "Risk by channel",
        "description": "Paper respondents are most at risk.",
        "categories": ["Web", "Paper"],
        "series": [
            percent_series("Low", [60, None]),
            percent_series("Medium", [30, 40]),
            percent_series("High", [10, 45]),
        ],
        "category_label": "Channel",
    }
    return stacked_bar_chart(**{**arguments, **overrides})


def a_line_chart(**overrides):
    arguments = {
        "title": "Responses each month",
        "description": "Rising, with two months not shown.",
        "categories": MONTHS,
        "series": [
            Series("Web", [10, None, 14, 20], ["10", "*", "14", "20"]),
            Series("Paper", [3, 4, 5, None], ["3", "4", "5", "*"]),
        ],
        "category_label": "Month",
        "unit": "",
    }
    return line_chart(**{**arguments, **overrides})


EVERY_KIND = [a_bar_chart, a_stacked_chart, a_line_chart]


def parse(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def contrast(hex_colour: str, background: str = "#ffffff") -> float:
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(hex_colour), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def render(chart) -> BeautifulSoup:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    macro = env.from_string('{% from "_charts.html" import chart_with_table %}'
                            "{{ chart_with_table(chart) }}")
    return BeautifulSoup(macro.render(chart=chart), "html.parser")


@pytest.mark.parametrize("make", EVERY_KIND)
def test_svg_parses_as_xml_and_is_named_by_its_title_and_description(make):
    chart = make()
    root = parse(chart)
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == chart.title
    assert desc.text == chart.description


@pytest.mark.parametrize("make", EVERY_KIND)
def test_svg_scales_to_its_container_with_no_fixed_size(make):
    root = parse(make())
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert re.fullmatch(r"0 0 640 \d+", root.get("viewBox"))
    assert root.get("preserveAspectRatio")


@pytest.mark.parametrize("make", EVERY_KIND)
def test_output_has_no_style_script_or_nan_when_given_nan_and_infinity(make):
    chart = make(series=[Series("Odd", [math.nan, math.inf, 5, 6][: len(make().categories)],
                                ["*"] * len(make().categories))])
    html = str(render(chart))
    assert "style" not in html.lower()
    assert "<script" not in html
    assert "nan" not in str(chart.svg).lower().replace("nhsuk", "")
    assert "inf" not in str(chart.svg).lower()


@pytest.mark.parametrize("make", EVERY_KIND)
def test_hostile_labels_are_escaped_everywhere_when_drawn(make):
    chart = make(title=HOSTILE, description=HOSTILE, category_label=HOSTILE,
                 categories=[HOSTILE, *make().categories[1:]],
                 series=[Series(HOSTILE, s.values, [HOSTILE] * len(s.values))
                         for s in make().series])
    svg = str(chart.svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(chart)  # still well-formed XML
    assert root.find(f"{SVG}title").text == HOSTILE
    assert "<script>" not in str(render(chart))


@pytest.mark.parametrize("make", EVERY_KIND)
def test_no_data_is_said_in_words_when_there_are_no_categories(make):
    chart = make(categories=[], series=[], text=ChartText(no_data="Dim data"))
    assert "Dim data" in texts(parse(chart))
    assert chart.table_rows == []
    soup = render(chart)
    assert soup.select_one("figure svg") is not None
    assert soup.select_one("table") is None


def test_no_data_is_said_when_series_have_no_categories():
    chart = a_bar_chart(categories=[], series=[Series("2025", [], [])])
    assert "No data" in texts(parse(chart))


def test_a_suppressed_bar_is_a_gap_with_a_star_never_a_zero_bar():
    chart = a_bar_chart(series=[percent_series("2025", [62, 48, None])])
    root = parse(chart)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == charts.colour(0)]
    assert len(bars) == 2  # web and text message; paper drew nothing
    assert "*" in texts(root)
    assert "* not shown" in texts(root)


def test_a_zero_value_draws_no_bar_but_still_says_zero():
    chart = a_bar_chart(series=[Series("2025", [0, 48, 10], ["0%", "48%", "10%"])])
    root = parse(chart)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == charts.colour(0)]
    assert len(bars) == 2
    assert "0%" in texts(root)
    assert not any(t.startswith("* ") for t in texts(root))  # no footnote when nothing hidden


def test_the_footnote_uses_the_translated_words_when_values_are_hidden():
    chart = a_bar_chart(text=ChartText(not_shown="heb ei ddangos"))
    assert "* heb ei ddangos" in texts(parse(chart))


def test_a_suppressed_point_breaks_the_line_and_is_marked():
    chart = a_line_chart(series=[Series("Web", [10, 12, None, 20], ["10", "12", "*", "20"])])
    root = parse(chart)
    lines = [p for p in root.iter(f"{SVG}path") if p.get("stroke-width") == "2.5"]
    assert len(lines) == 1  # Jan to Feb; Apr stands alone as a marker
    assert lines[0].get("d").count("L") == 1
    markers = [c for c in root.iter(f"{SVG}circle")]
    assert len(markers) == 3
    assert "*" in texts(root)


def test_a_suppressed_segment_is_left_out_of_its_stack_and_marked():
    root = parse(a_stacked_chart())
    segments = [r for r in root.iter(f"{SVG}rect")
                if r.get("stroke") in charts.PALETTE and float(r.get("height")) == 28]
    assert len(segments) == 5  # 3 on the web; paper's "low" is hidden
    assert "*" in texts(root)


def test_percentages_run_from_0_to_100():
    labels = texts(parse(a_bar_chart()))
    assert labels.index("0%") < labels.index("100%")
    assert "120%" not in labels


def test_the_scale_grows_rather_than_cut_off_a_value_beyond_max_value():
    chart = a_bar_chart(unit="", max_value=10, format_tick=lambda v: f"<{v:g}>",
                        series=[Series("Count", [3, 14, 5], ["3", "14", "5"])])
    labels = texts(parse(chart))
    assert "<0>" in labels
    assert "<15>" in labels or "<16>" in labels


@pytest.mark.parametrize(("limit", "expected"), [
    (100, [0, 20, 40, 60, 80, 100]),
    (7, [0, 2, 4, 6, 8]),
    (0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (1234, [0, 250, 500, 750, 1000, 1250]),
])
def test_ticks_are_round_numbers_from_zero(limit, expected):
    assert charts._ticks(limit) == pytest.approx(expected)


def test_all_zero_data_still_draws_a_scale_and_no_nan():
    chart = a_line_chart(series=[Series("Web", [0, 0, 0, 0], ["0"] * 4)])
    assert "nan" not in str(chart.svg).lower()
    assert "0" in texts(parse(chart))


def x_positions(root: ET.Element) -> list[tuple[str, float, float]]:
    """Where each shape sits across the chart; patterns have their own coordinates, so not them."""
    found = []
    for element in (e for child in root if child.tag != f"{SVG}defs" for e in child.iter()):
        tag = element.tag.removeprefix(SVG)
        if tag == "rect" and element.get("x") is not None:
            found.append((tag, float(element.get("x")), float(element.get("width"))))
        elif tag in ("text", "circle"):
            found.append((tag, float(element.get("x") or element.get("cx")), 0.0))
        elif tag == "line":
            found += [(tag, float(element.get("x1")), 0.0), (tag, float(element.get("x2")), 0.0)]
        elif tag == "path":
            xs = re.findall(r"[ML](-?[\d.]+) ", element.get("d"))
            found += [(tag, float(x), 0.0) for x in xs]
    return found


@pytest.mark.parametrize("make", EVERY_KIND)
def test_rtl_mirrors_every_x_position(make):
    ltr, rtl = parse(make(direction="ltr")), parse(make(direction="rtl"))
    assert (ltr.get("direction"), rtl.get("direction")) == ("ltr", "rtl")
    pairs = list(zip(x_positions(ltr), x_positions(rtl), strict=True))
    assert pairs
    for (tag, x, width), (_, mirrored, _) in pairs:
        assert mirrored == pytest.approx(charts.WIDTH - x - width, abs=0.01), tag


def test_rtl_bars_grow_from_the_right():
    root = parse(a_bar_chart(direction="rtl"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == charts.colour(0)]
    rights = {round(float(b.get("x")) + float(b.get("width")), 2) for b in bars}
    assert len(rights) == 1
    assert rights.pop() > charts.WIDTH * 0.9


def test_an_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        a_bar_chart(direction="up")


@pytest.mark.parametrize("colour", charts.PALETTE)
def test_each_series_colour_has_3_to_1_contrast_with_white_for_graphics(colour):
    assert contrast(colour) >= 3


@pytest.mark.parametrize("colour", [charts.TEXT])
def test_text_colour_has_4_5_to_1_contrast_with_white(colour):
    assert contrast(colour) >= 4.5


def test_axes_have_3_to_1_contrast_with_white():
    assert contrast(charts.AXIS) >= 3


@pytest.mark.parametrize("make", EVERY_KIND)
def test_all_text_in_the_svg_is_drawn_in_the_text_colour(make):
    fills = {t.get("fill") for t in parse(make()).iter(f"{SVG}text")}
    assert fills == {charts.TEXT}


def test_each_series_gets_its_own_pattern_so_colour_is_not_the_only_cue():
    series = [percent_series(str(n), [n * 10, 50, 60]) for n in range(6)]
    root = parse(a_bar_chart(series=series))
    patterns = [p.get("id") for p in root.iter(f"{SVG}pattern")]
    assert len(patterns) == 5  # the first series is solid
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")
             if r.get("stroke") in charts.PALETTE}
    assert len(fills) == 6
    assert all(f"url(#{p})" in fills for p in patterns)


def test_line_series_differ_by_dash_and_marker_shape_as_well_as_colour():
    series = [Series(str(n), [n, n + 1, n + 2, n + 3], ["x"] * 4) for n in range(4)]
    root = parse(a_line_chart(series=series))
    lines = [p for p in root.iter(f"{SVG}path") if p.get("stroke-width") == "2.5"]
    dashes = {p.get("stroke-dasharray") for p in lines}
    assert len(dashes) == 4
    assert len(list(root.iter(f"{SVG}circle"))) == 4 + 1  # one series of circles, and its key


def test_the_legend_names_every_series_when_there_are_several():
    labels = texts(parse(a_line_chart()))
    assert "Web" in labels
    assert "Paper" in labels


@pytest.mark.parametrize("make", EVERY_KIND)
def test_text_uses_the_apps_font(make):
    assert parse(make()).get("font-family") == "Arial, sans-serif"


def test_ids_are_unique_in_a_page_of_charts():
    page = "".join(str(render(make(id=f"chart-{i}")))
                   for i, make in enumerate(EVERY_KIND * 2))
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_ids_derived_from_titles_are_stable_and_differ_by_title():
    assert a_bar_chart().id == a_bar_chart().id
    assert a_bar_chart().id != a_bar_chart(title="Another").id
    assert a_bar_chart().id != a_stacked_chart(title=a_bar_chart().title).id


def test_every_reference_to_an_id_points_inside_its_own_chart():
    chart = a_stacked_chart(id="risk")
    svg = str(chart.svg)
    references = re.findall(r"url\(#([^)]+)\)", svg) + parse(chart).get("aria-labelledby").split()
    assert references
    assert all(r.startswith("risk-") and f'id="{r}"' in svg for r in references)


@pytest.mark.parametrize("bad", ["1chart", "has space", "", 'quote"'])
def test_an_unusable_id_is_refused(bad):
    with pytest.raises(ValueError, match="id"):
        a_bar_chart(id=bad)


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="one value"):
        a_bar_chart(series=[Series("2025", [1, 2], ["1", "2"])])


def test_a_negative_value_is_refused():
    with pytest.raises(ValueError, match="start at 0"):
        a_bar_chart(series=[percent_series("2025", [1, -2, 3])])


def test_table_rows_match_the_data():
    chart = a_stacked_chart()
    assert chart.table_headers == ["Channel", "Low", "Medium", "High"]
    assert chart.table_rows == [["Web", "60%", "30%", "10%"], ["Paper", "*", "40%", "45%"]]


def test_the_table_has_nhs_classes_a_caption_and_scoped_headers():
    soup = render(a_stacked_chart())
    table = soup.select_one("table.nhsuk-table")
    assert table.caption.get_text(strip=True) == "Risk by channel"
    assert [th["scope"] for th in table.select("thead th")] == ["col"] * 4
    assert [th.get_text() for th in table.select("tbody th[scope=row]")] == ["Web", "Paper"]
    cells = [[td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert cells == [["60%", "30%", "10%"], ["* (not shown)", "40%", "45%"]]
    assert all("nhsuk-table__cell--numeric" in td["class"] for td in table.select("td"))


def test_the_figure_has_a_visible_caption_and_the_svg():
    soup = render(a_bar_chart())
    figure = soup.select_one("figure")
    assert figure.figcaption.get_text(" ", strip=True).startswith("Positive by channel")
    assert figure.select_one("svg[role=img]")
    assert "nhsuk-u-visually-hidden" not in str(figure.figcaption)


def test_long_labels_wrap_onto_more_lines_instead_of_running_off():
    long = "People who did not answer enough of the questions to tell how at risk they are"
    root = parse(a_bar_chart(categories=[long, "Web", "Paper"]))
    lines = [t for t in texts(root) if t and t in long]
    assert len(lines) >= 2
    assert " ".join(lines) == long


class LazyText:
    """Like flask-babel's LazyString, whose __html__ hands back the raw text as if safe."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text

    def __html__(self):
        return self.text


def test_lazy_translations_are_escaped_too_when_their_html_claims_to_be_safe():
    chart = a_bar_chart(title=LazyText("Fish & chips <b>"),
                        categories=[LazyText("A & B"), "C", "D"],
                        series=[Series(LazyText("<i>"), [1, 2, 3], ["1%", "2%", "3%"])])
    parse(chart)  # a bare & would make this fail
    assert "Fish &amp; chips &lt;b&gt;" in str(chart.svg)
    assert chart.categories[0] == "A & B"
    assert chart.table_headers == ["Channel", "<i>"]


def test_a_legend_name_longer_than_a_row_wraps_and_the_next_row_clears_it():
    long = "Respondents who answered on paper at the surgery and were keyed in later by volunteers"
    root = parse(a_line_chart(series=[Series(long, [1, 2, 3, 4], ["1"] * 4),
                                      Series("Web", [2, 3, 4, 5], ["2"] * 4)]))
    name_lines = [t for t in root.iter(f"{SVG}text") if t.text and t.text in long]
    web = next(t for t in root.iter(f"{SVG}text") if t.text == "Web")
    assert len(name_lines) == 2
    assert float(web.get("y")) > max(float(t.get("y")) for t in name_lines)
    assert all(float(t.get("x")) + charts._text_width(t.text) <= charts.WIDTH
               for t in name_lines)


def test_the_chart_module_needs_neither_flask_nor_a_database_nor_gettext():
    tree = ast.parse(Path(charts.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    roots = {name.split(".")[0] for name in imported}
    forbidden = {"flask", "flask_babel", "babel", "gettext", "sqlalchemy", "flask_sqlalchemy"}
    assert roots.isdisjoint(forbidden)

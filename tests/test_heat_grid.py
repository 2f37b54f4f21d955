"""The heat grid's data (app/components/heat_grid.py): the same cells, order and masking as the Vega heatmap
spec it is made from, colours on the Blues ramp, code colours that cannot escape a style."""

from __future__ import annotations

import pandas as pd

from coding.analysis import TOTAL
from qcode_app import charts, disclosure_setting
from qcode_app.components.heat_grid import BLUES, MUTED, blue, grid_from_spec


def spec(columns: list[str], counts: dict[tuple[str, str], int], color: str = "#1f4e9c") -> dict:
    rows = pd.DataFrame(
        [("fear", "Fear", 0, color, "Fear"), ("fear.violence", "Violence", 1, "#aa0000", "Violence")],
        columns=["code", "name", "level", "color", "label"],
    )
    cells = pd.DataFrame(
        [(code, column, counts.get((code, column), 0)) for code in rows["code"] for column in columns],
        columns=["code", "column", "count"],
    )
    cells["shade"] = cells["count"].astype(float)
    cells["text"] = cells["short"] = cells["count"].astype(str)
    cells["muted"] = cells["column"] == TOTAL
    headers = {c: f"{c}|n={10 + i}" for i, c in enumerate(columns)}
    return charts.heatmap(cells, rows, columns, "Group", headers)


def test_grid_keeps_the_spec_order_texts_and_columns() -> None:
    grid = grid_from_spec(spec(["south", "north", TOTAL], {("fear", "north"): 8, ("fear", TOTAL): 9}))
    assert [c["key"] for c in grid["columns"]] == ["south", "north", TOTAL]
    assert [(c["name"], c["n"]) for c in grid["columns"]] == [("south", "n=10"), ("north", "n=11"), (TOTAL, "n=12")]
    assert [(r["code"], r["level"]) for r in grid["rows"]] == [("fear", 0), ("fear.violence", 1)]
    assert [c["text"] for c in grid["cells"][0]] == ["0", "8", "9"]
    assert grid["cells"][0][1]["tip"] == "Fear · north: 8"
    assert grid["title"] == "Group" and grid["picked"] is None


def test_shades_follow_the_largest_cell_outside_the_total() -> None:
    counts = {("fear", "north"): 10, ("fear", "south"): 2, ("fear", TOTAL): 99}
    grid = grid_from_spec(spec(["north", "south", TOTAL], counts))
    north, south, total = grid["cells"][0]
    assert north["fill"] == BLUES[-1] and north["ink"] == "#ffffff"  # the largest: darkest, white numbers
    assert south["ink"] == "#222222" and total["fill"] == MUTED  # a Total is grey, whatever its number
    assert grid["cells"][1][0]["fill"] == BLUES[0]  # zero: the lightest


def test_blue_runs_from_light_to_dark() -> None:
    assert blue(0.0) == BLUES[0] and blue(1.0) == BLUES[-1] and blue(2.0) == BLUES[-1] and blue(-1) == BLUES[0]
    darkness = [sum(int(blue(s / 10)[i : i + 2], 16) for i in (1, 3, 5)) for s in range(11)]
    assert darkness == sorted(darkness, reverse=True) and len(set(darkness)) == 11


def test_hidden_cells_carry_no_number() -> None:
    masked = disclosure_setting.masked_spec(spec(["north", TOTAL], {("fear", "north"): 1}), {("fear", "north")})
    cell = grid_from_spec(masked)["cells"][0][0]
    tip = "Fear · north: hidden (disclosure control)"
    assert cell == {"text": disclosure_setting.HIDDEN, "fill": MUTED, "ink": "#222222", "tip": tip}


def test_hiding_the_largest_cell_rescales_the_shades() -> None:
    """The image downloads draw the masked spec: its darkest shade must not be a hidden cell's number."""
    counts = {("fear", "north"): 50, ("fear", "south"): 5, ("fear.violence", "south"): 10}
    masked = disclosure_setting.masked_spec(spec(["north", "south"], counts), {("fear", "north")})
    assert masked["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0, 10.0]
    assert masked["layer"][1]["encoding"]["color"]["condition"][0]["test"] == "datum.shade > 6.0 && !datum.muted"
    assert grid_from_spec(masked)["cells"][1][1]["fill"] == BLUES[-1]  # the largest shown: the darkest


def test_a_column_name_with_a_bar_keeps_its_name() -> None:
    grid = grid_from_spec(spec(["north|east", TOTAL], {("fear", "north|east"): 2}))
    assert [(c["key"], c["name"], c["n"]) for c in grid["columns"]][0] == ("north|east", "north|east", "n=10")
    assert grid["cells"][0][0]["tip"] == "Fear · north|east: 2"


def test_codes_of_one_name_have_tips_of_their_own() -> None:
    twin = spec(["north"], {})
    for record in twin["datasets"]["cells"]:
        if record["code"] == "fear.violence":
            record.update(name="Fear", label="Fear (fear.violence)")
    twin["layer"][0]["encoding"]["y"]["sort"] = ["Fear", "Fear (fear.violence)"]
    tips = [row[0]["tip"] for row in grid_from_spec(twin)["cells"]]
    assert tips == ["Fear · north: 0", "Fear (fear.violence) · north: 0"]


def test_picked_cell_and_unsafe_colours() -> None:
    grid = grid_from_spec(spec(["north"], {}, color="red;background:url(x)"), ("fear", "north"))
    assert grid["picked"] == ["fear", "north"]
    assert grid["rows"][0]["color"] == "#9e9e9e" and grid["rows"][1]["color"] == "#aa0000"


def test_many_columns_stand_on_end_and_show_short_numbers() -> None:
    columns = [f"c{i}" for i in range(9)]
    grid = grid_from_spec(spec(columns, {("fear", "c0"): 3}))
    assert grid["slanted"] and grid["step"] == charts.column_step(len(columns))
    assert grid["cells"][0][0]["text"] == "3"


def test_a_bar_in_a_column_name_survives_the_image_download() -> None:
    """The SVG/PNG downloads draw the same spec as the grid: "north|east" is one name there too."""
    import re

    import vl_convert as vlc

    for column, wanted in (
        ("n|e", ["n|e", "n=10"]),  # short: upright, the name over its n
        ("a long north|east value", ["a long north|east value n=10"]),  # long: slanted, on one line
        ("plain", ["plain", "n=10"]),
    ):
        texts = re.findall(r">([^<>]+)<", vlc.vegalite_to_svg(spec([column, "south"], {})))
        assert all(w in texts for w in wanted), texts


def test_column_names_split_only_a_trailing_n() -> None:
    assert charts.column_name("x|n=1,234") == ("x", "n=1,234") and charts.column_name("a|b|n=3") == ("a|b", "n=3")
    assert [charts.column_name(s) for s in ("a|b", "n=3", "a|n=")] == [("a|b", ""), ("n=3", ""), ("a|n=", "")]
    assert charts.column_name(charts.column_label("north", 1234)) == ("north", "n=1,234")

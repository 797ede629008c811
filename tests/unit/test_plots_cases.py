"""The case table's figures: a 0/1 threat gets one line per value, not a
surface drawn over it."""

import numpy as np
import pandas as pd
from alliance_models import plots_cases
from matplotlib.collections import PolyCollection, QuadMesh
from matplotlib.contour import ContourSet


def _grid(x_var="log_cinc_ratio", y_var="threat_high", binary="y", cats=("P(y=1)",), n=20):
    cont = np.linspace(-1, 7, n)
    rows = []
    for k, cat in enumerate(cats):
        for b in (0.0, 1.0):
            p = 1 / (1 + np.exp(-(0.4 * cont - 1 + 1.5 * b - 0.5 * k)))
            x, y = (cont, np.full(n, b)) if binary == "y" else (np.full(n, b), cont)
            rows.append(pd.DataFrame({"x": x, "y": y, "category": cat, "p_mean": p, "p_lo": p * 0.7, "p_hi": p**0.7}))
    g = pd.concat(rows, ignore_index=True).assign(x_var=x_var, y_var=y_var, draws=100)
    g.attrs["interval"] = 0.9
    return g


def _points(binary="y", outcomes=(1, 0, 1, 1, 0, 1)):
    cont = np.array([0.1, 1.5, 2.2, 3.9, 5.0, 6.4])
    b = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    x, y = (cont, b) if binary == "y" else (b, cont)
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "outcome": list(outcomes),
            "label": [f"S{i} 19{50 + i}" for i in range(6)],
            "annotated": [False, False, True, False, False, False],
        }
    )


def _no_surface(fig):
    return not any(isinstance(c, (QuadMesh, ContourSet)) for ax in fig.axes for c in ax.collections)


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_a_binary_threat_is_two_lines_with_bands_not_a_surface():
    grid, pts = _grid(), _points()
    fig = plots_cases.surface(grid, pts, "m: P(allied = 1)")
    assert _no_surface(fig)
    ax, cases = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == ["threat_high = 0", "threat_high = 1"]
    # each line is the grid's posterior mean along the continuous variable, at its value of the threat
    for line, b in zip(ax.get_lines(), (0.0, 1.0)):
        g = grid[grid["y"] == b].sort_values("x")
        assert np.allclose(line.get_xdata(), g["x"]) and np.allclose(line.get_ydata(), g["p_mean"])
    bands = _bands(ax)
    assert len(bands) == 2
    for band, b in zip(bands, (0.0, 1.0)):  # the band spans the credible interval
        g = grid[grid["y"] == b]
        ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
        assert np.isclose(ys.min(), g["p_lo"].min()) and np.isclose(ys.max(), g["p_hi"].max())
    assert "90% interval" in ax.get_title()
    # the cases: every one drawn (ticks at their outcome), then labelled in one row per value below
    ticks = [c for c in ax.collections if c not in bands][:2]  # one set of ticks per value of the threat
    got = sorted(map(tuple, np.round(np.vstack([c.get_offsets() for c in ticks]), 3)))
    want = sorted(zip(np.round(pts["x"], 3), np.where(pts["outcome"] == 1, 1.02, -0.02)))
    assert got == want
    assert [t.get_text() for t in cases.get_yticklabels()] == ["threat_high = 0", "threat_high = 1"]
    assert {t.get_text() for t in cases.texts} == set(pts["label"])
    assert cases.get_ylim() == (-0.5, 1.5)


def test_a_binary_variable_on_the_x_axis_is_drawn_the_same_way():
    fig = plots_cases.surface(_grid(x_var="threat_high", y_var="log_cinc_ratio", binary="x"), _points("x"), "m")
    assert _no_surface(fig)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["threat_high = 0", "threat_high = 1"]
    assert len(_bands(ax)) == 2 and ax.get_xlabel().startswith("log_cinc_ratio")


def test_a_categorical_model_gets_two_lines_per_category():
    cats = ("none", "affiliation", "alliance")
    pts = _points(outcomes=("none", "alliance", "alliance", "affiliation", "none", "alliance"))
    fig = plots_cases.surface(_grid(cats=cats), pts, "m: P(each category)")
    assert _no_surface(fig)
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == 3
    for ax, cat in zip(drawn, cats):
        assert [line.get_label() for line in ax.get_lines()] == ["threat_high = 0", "threat_high = 1"]
        assert len(_bands(ax)) == 2
        assert ax.get_title().startswith(f"P({cat})")
    # the annotated case is named on its tick in every panel
    assert all("S2 1952" in [t.get_text() for t in ax.texts] for ax in drawn)


def test_two_continuous_variables_keep_the_heat_map():
    g = _grid()
    g = pd.concat([g.assign(y=g["y"] * 2 + k * 0.1) for k in range(3)], ignore_index=True).drop_duplicates(["x", "y"])
    fig = plots_cases.surface(g.assign(y_var="threat_score"), _points().assign(y=lambda d: d["y"] * 2), "m")
    assert any(isinstance(c, QuadMesh) for c in fig.axes[0].collections)

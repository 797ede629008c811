"""The design a model is fitted on, and the design of new rows."""

import numpy as np
import pandas as pd
from alliance_models.models.matrix import build_model_data, new_design
from alliance_models.models.spec import ModelSpec


def test_new_rows_keep_the_training_parameters_of_stateful_transforms():
    """scale(x) on new rows uses the training rows' mean and sd (formulae's
    new-data evaluation), not the new rows' own: a prediction for x = 10 must
    not depend on which other rows are predicted with it."""
    x = np.arange(1.0, 7.0)
    train = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": x})
    md = build_model_data(ModelSpec(name="s", data="x.csv", outcome="y", formula="y ~ scale(x) + I(x ** 2)"), train)
    new = pd.DataFrame({"y": [0, 0], "x": [10.0, 20.0]})
    X = new_design(md, new)
    assert list(X.columns) == list(md.X.columns)
    np.testing.assert_allclose(X["scale(x)"], (new["x"] - x.mean()) / x.std())
    np.testing.assert_allclose(new_design(md, new.iloc[:1])["scale(x)"], X["scale(x)"].iloc[:1])
    np.testing.assert_allclose(X["I(x ** 2)"], new["x"] ** 2)
    np.testing.assert_allclose(new_design(md, train), md.X)  # the fitted rows give the fitted design


def test_measurement_through_a_stateful_transform():
    """Errors in variables on scale(ratio): the design moves by 1/sd(ratio)
    per unit of the latent column (the training sd), not by 0."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"y": rng.integers(0, 2, 40), "c1": np.arange(40) % 8, "c2": (np.arange(40) + 3) % 8, "yr": 1})
    m = rng.normal(size=8)
    df["m1"], df["m2"], df["s1"], df["s2"] = m[df.c1], m[df.c2], 0.3, 0.3
    df["ratio"] = df.m1 - df.m2
    meas = {
        "ratio": [
            {"mean": "m1", "sd": "s1", "unit": ["c1", "yr"]},
            {"mean": "m2", "sd": "s2", "unit": ["c2", "yr"], "sign": -1},
        ]
    }
    md = build_model_data(
        ModelSpec(name="s", data="x.csv", outcome="y", formula="y ~ scale(ratio)", measurement=meas), df
    )
    np.testing.assert_allclose(md.measurement[0]["D"][:, 0], 1 / df["ratio"].std(ddof=0))

"""Separation detection by linear programming (Konis 2007), against published
results where there are any (tests/fixtures/firth/README.md)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alliance_models.models.firth import firth_logit
from alliance_models.models.separation import detect_separation

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "firth"


def _with_intercept(df: pd.DataFrame) -> pd.DataFrame:
    X = df.copy()
    X.insert(0, "(Intercept)", 1.0)
    return X


# --- complete separation ---------------------------------------------------


def test_complete_counterexample_from_detectseparation():
    # detectseparation inst/tinytest/test-detect-separation-ROI.R: "complete".
    x = np.array([[1, -1, 2], [1, -1, -2], [1, -2, -2], [1, 2, 2]], dtype=float)
    y = np.array([0, 1, 1, 1])
    r = detect_separation(x, y)
    assert r.status == "complete" and r.separated
    assert list(r.separated_rows) == [0, 1, 2, 3]
    # Every recession direction d has d0 >= 1/2 (rows 3 + 4), d2 < 0 (rows 1 + 2)
    # and d1 > 0 (rows 1 + 4): all three estimates are infinite.
    assert r.separating_terms == ["x0", "x1", "x2"]
    assert r.direction == {"x0": "+inf", "x1": "+inf", "x2": "-inf"}
    assert r.indeterminate_terms == []


def test_complete_threshold_on_one_covariate():
    x = np.arange(1.0, 11.0)
    r = detect_separation(pd.DataFrame({"const": 1.0, "x": x}), (x > 5).astype(int))
    assert r.status == "complete"
    assert r.direction == {"const": "-inf", "x": "+inf"}
    d = r.recession_direction
    assert np.max(np.abs(d)) == pytest.approx(1.0)
    assert 5 < -d[0] / d[1] < 6  # the separating cut x = -d0/d1 lies between 5 and 6
    assert "complete separation" in r.summary()


# --- quasi-complete separation ---------------------------------------------


def test_quasi_complete_tie_at_the_cut():
    x = np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0])
    y = np.array([0, 0, 0, 1, 1, 1])
    r = detect_separation(np.column_stack([np.ones(6), x]), y)
    assert r.status == "quasi-complete"
    assert r.direction == {"x0": "-inf", "x1": "+inf"}
    assert list(r.separated_rows) == [0, 1, 4, 5]  # the two rows at x = 3 overlap


def test_silvapulle_1981_matches_detectseparation():
    # detectseparation test-detect-infinite-estimates.R: logit ML (-Inf, Inf).
    df = pd.read_csv(FIX / "silvapulle1981.csv")
    r = detect_separation(_with_intercept(df[["ghqs"]]), df["y"])
    assert (r.n, r.events) == (35, 8)
    assert r.status == "quasi-complete"  # both outcomes at ghqs = 2
    assert r.separating_terms == ["(Intercept)", "ghqs"]
    assert r.direction == {"(Intercept)": "-inf", "ghqs": "+inf"}
    assert len(r.separated_rows) == 33


def test_endometrial_nv_matches_detectseparation_readme():
    # detectseparation README: Separation: TRUE (quasi-complete);
    # (Intercept) 0, NV Inf, PI 0, EH 0.
    df = pd.read_csv(FIX / "endometrial.csv")
    r = detect_separation(_with_intercept(df[["NV", "PI", "EH"]]), df["HG"])
    assert r.status == "quasi-complete"
    assert r.separating_terms == ["NV"] and r.direction == {"NV": "+inf"}
    assert r.indeterminate_terms == []
    # the separated rows are exactly the 13 with NV = 1, all of them HG = 1
    rows = r.separated_rows
    assert len(rows) == 13 and (df.loc[rows, "NV"] == 1).all() and (df.loc[rows, "HG"] == 1).all()
    np.testing.assert_allclose(r.recession_direction, [0, 1, 0, 0], atol=1e-9)


def test_sex2_diaphragm_users_all_cases():
    df = pd.read_csv(FIX / "sex2.csv")
    X = _with_intercept(df.drop(columns="case"))
    r = detect_separation(X, df["case"])
    assert r.status == "quasi-complete" and r.direction == {"dia": "+inf"}
    assert len(r.separated_rows) == 7 == int(df["dia"].sum())
    # without dia the ML estimate exists (logistf's example is otherwise ordinary)
    assert detect_separation(X.drop(columns="dia"), df["case"]).status == "none"


# --- no separation ---------------------------------------------------------


def test_overlap_example_from_detectseparation():
    r = detect_separation(np.column_stack([np.ones(4), [-1.0, 0.0, 1.0, 2.0]]), [0, 1, 0, 1])
    assert r.status == "none" and not r.separated
    assert r.separating_terms == [] and r.direction == {} and len(r.separated_rows) == 0
    assert "ML estimates exist" in r.summary()


def test_no_separation_in_a_large_random_sample():
    rng = np.random.default_rng(11)
    n = 2_000
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 3)), rng.binomial(1, 0.3, n)])
    y = rng.binomial(1, 1 / (1 + np.exp(-X @ [0.1, 1.0, -0.5, 0.2, 0.8])))
    assert detect_separation(X, y).status == "none"
    # ... until one row-set is made perfectly predicted by the dummy
    y2 = np.where(X[:, 4] == 1, 1, y)
    r = detect_separation(X, y2)
    assert r.status == "quasi-complete" and r.direction == {"x4": "+inf"}


# --- a case set shaped like the project's ----------------------------------


@pytest.fixture
def case_set():
    """Constructed (not real) episode table in the shape of data/raw/cases:
    Yu's 2x2 typology coded as dummies, one row per Soviet alignment episode.
    Every high-threat episode ends in an alliance; every low-threat one does not."""
    return pd.DataFrame(
        {
            "id": [f"case-{i}" for i in range(10)],
            "high_threat": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
            "high_disparity": [1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
            "formed": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
        }
    ).set_index("id")


def test_binary_predictor_that_predicts_perfectly(case_set):
    X = _with_intercept(case_set[["high_threat", "high_disparity"]])
    r = detect_separation(X, case_set["formed"])
    assert r.status == "complete"
    assert r.direction == {"(Intercept)": "-inf", "high_threat": "+inf"}
    # the disparity coefficient is not pinned down at all by these data
    assert r.indeterminate_terms == ["high_disparity"]
    assert "high_threat (+inf)" in r.summary() and "undetermined: high_disparity" in r.summary()
    # Firth gives finite estimates with a clearly positive threat effect
    f = firth_logit(X, case_set["formed"])
    assert f.converged and np.all(np.isfinite(f.params))
    assert f.params[1] > 0 and f.ci_lower[1] > 0 and f.ci_method[1] == "profile"


def test_exceptions_turn_it_quasi_complete(case_set):
    cases = case_set.copy()
    # one low-threat episode that still formed at each disparity level
    cases.loc[["case-8", "case-9"], "formed"] = 1
    X = _with_intercept(cases[["high_threat", "high_disparity"]])
    r = detect_separation(X, cases["formed"])
    assert r.status == "quasi-complete"
    assert r.separating_terms == ["high_threat"] and r.direction == {"high_threat": "+inf"}
    assert list(r.separated_rows) == [0, 1, 2, 3, 4]  # the high-threat episodes
    assert r.indeterminate_terms == []
    # with only case-9 as exception, low-threat low-disparity episodes never form:
    # then the intercept and disparity diverge too
    cases.loc["case-8", "formed"] = 0
    r2 = detect_separation(X, cases["formed"])
    assert r2.direction == {"(Intercept)": "-inf", "high_threat": "+inf", "high_disparity": "+inf"}


# --- input checks ----------------------------------------------------------


def test_collinear_design_is_rejected_not_reported_as_separation(case_set):
    X = _with_intercept(case_set[["high_threat"]]).assign(low_threat=1 - case_set["high_threat"])
    with pytest.raises(ValueError, match=r"rank 2 < 3"):
        detect_separation(X, case_set["formed"])


def test_missing_outcome_names_the_case(case_set):
    y = case_set["formed"].astype("float64")
    y.loc["case-3"] = np.nan
    with pytest.raises(ValueError, match=r"row 3 \(index 'case-3'\)"):
        detect_separation(_with_intercept(case_set[["high_threat"]]), y)

"""Seed tables (Moura, seed 002): transcription checks and recomputation."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pyreadr
import pytest
from alliance_models.errors import PipelineError, SourceFormatError
from alliance_models.seeds import (
    OUTPUT_COLUMNS,
    SeedTableError,
    load_seed_tables,
    reproduce_seed_tables,
)

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "data" / "raw" / "seed_tables"
SRC = "Moura (seed 002)"
T2_RATIO = "PRC's GDP as a percentage of USSR's GDP"


def small_state_year(mirror: Path) -> pd.DataFrame:
    """China and USSR state-years 1940-1980 cut from the mirror's NMC 7.0 and
    Maddison 2023 files, with the state_year columns the seeds code reads."""
    nmc = pyreadr.read_r(str(mirror / "peacesciencer" / "cow_nmc.rda"))["cow_nmc"]
    nmc = nmc.assign(ccode=nmc["ccode"].astype("int64"), year=nmc["year"].astype("int64"))
    nmc = nmc[nmc["ccode"].isin([710, 365]) & nmc["year"].between(1940, 1980)]
    mad = pyreadr.read_r(str(mirror / "maddison" / "MaddisonData.rda"))["MaddisonData"]
    mad = mad.assign(year=mad["year"].astype("int64"))
    chn = mad[mad["ISO"] == "CHN"].assign(ccode=710)
    sun = mad[(mad["ISO"] == "SUN") & mad["year"].between(1922, 1991)].assign(ccode=365)
    mad = pd.concat([chn, sun])
    mad = mad[mad["year"].between(1940, 1980)]
    mad = mad.assign(ccode=mad["ccode"].astype("int64"), gdp=mad["gdppc"] * mad["pop"] / 1000)
    sy = nmc[["ccode", "year", "milex", "tpop"]].merge(mad[["ccode", "year", "gdp"]], on=["ccode", "year"], how="outer")
    sy["milex_currency"] = ["GBP_thousands" if y < 1914 else "USD_thousands_current" for y in sy["year"]]
    return sy.sort_values(["ccode", "year"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def state_year(mirror) -> pd.DataFrame:
    return small_state_year(mirror)


@pytest.fixture(scope="module")
def result(state_year) -> pd.DataFrame:
    return reproduce_seed_tables(SEED_DIR, state_year)


def one(res: pd.DataFrame, table: str, row: str, column: str) -> pd.Series:
    hit = res[(res["table"] == table) & (res["row"] == row) & (res["column"] == column)]
    assert len(hit) == 1, (table, row, column)
    return hit.iloc[0]


def copy_seeds(tmp_path: Path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, dst)
    return dst


def replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- transcription


def test_load_seed_tables_shapes_and_types():
    t = load_seed_tables(SEED_DIR)
    assert set(t) == {"moura_table1", "moura_table2", "moura_table3", "moura_derivations"}
    assert len(t["moura_table1"]) == 20  # 5 years x 4 columns, 2 of them dashes
    assert len(t["moura_table2"]) == 12
    assert len(t["moura_table3"]) == 12
    t1 = t["moura_table1"]
    assert t1["year"].dtype == "int64" and t1["country"].dtype == "int64"
    assert t1["value"].dtype == "float64"
    usr70 = t1[(t1["row"] == "1970") & (t1["column"] == "USSR's GDP")].iloc[0]
    assert usr70["value"] == 1000.0 and usr70["printed"] == "1000.00" and usr70["country"] == 365
    dashes = t1[t1["printed"] == "-"]
    assert len(dashes) == 2 and dashes["value"].isna().all()
    t2 = t["moura_table2"]
    ratio54 = t2[(t2["row"] == T2_RATIO) & (t2["column"] == "1954")].iloc[0]
    assert ratio54["printed"] == "8%" and ratio54["country2"] == 365 and ratio54["kind"] == "derived"


# ---------------------------------------------------------------- from the paper's levels


def test_output_columns_and_types(result):
    assert list(result.columns) == OUTPUT_COLUMNS
    assert result["matches_paper_within_rounding"].dtype == "boolean"
    assert result["recomputed_from_public"].dtype == "float64"


def test_every_printed_derived_figure_is_recomputed(result):
    t = load_seed_tables(SEED_DIR)
    printed = pd.concat([t[k] for k in ("moura_table1", "moura_table2", "moura_table3")])
    derived = printed[(printed["kind"] == "derived") & printed["value"].notna()]
    assert len(derived) == 18
    want = set(map(tuple, derived[["table", "row", "column"]].to_numpy()))
    got = result[result["formula"] != "printed level (not derived)"]
    assert set(map(tuple, got[["table", "row", "column"]].to_numpy())) == want
    assert got["recomputed_from_paper_levels"].notna().all()


def test_paper_levels_reproduce_printed_figures_within_rounding(result):
    derived = result[result["matches_paper_within_rounding"].notna()]
    assert len(derived) == 18
    assert derived["matches_paper_within_rounding"].all()
    assert (derived["diff_paper"].abs() <= 0.5 + 1e-9).all()
    assert (derived["tolerance"] == 0.5 + 1e-9).all()


@pytest.mark.parametrize(
    "table,row,column,printed,expected",
    [
        ("Table 1", "1955", "China's GDP growth", 57, 100 * (35.00 / 22.32 - 1)),
        ("Table 1", "1960", "USSR's GDP growth", 42, 100 * (629.00 / 441.60 - 1)),
        ("Table 2", T2_RATIO, "1954", 8, 100 * 35.00 / 441.60),
        ("Table 2", T2_RATIO, "1957", 9, 100 * 59.72 / 629.00),
        (
            "Table 3",
            "1960",
            "China growth",
            101,
            100 * ((11.34 * 59.72) / (15.08 * 22.32) - 1),
        ),
        ("Table 3", "1970", "USSR growth", 72, 100 * ((13.00 * 1000.00) / (12.00 * 629.00) - 1)),
    ],
)
def test_named_figures(result, table, row, column, printed, expected):
    r = one(result, table, row, column)
    assert r["printed_value"] == printed
    assert r["recomputed_from_paper_levels"] == pytest.approx(expected, abs=1e-9)
    assert r["diff_paper"] == pytest.approx(expected - printed, abs=1e-9)
    assert bool(r["matches_paper_within_rounding"])


def test_table2_1954_ratio_uses_1955_levels(result):
    r = one(result, "Table 2", T2_RATIO, "1954")
    assert r["years_used"] == "1955"
    assert round(r["recomputed_from_paper_levels"], 1) == 7.9
    assert "Labelled 1954" in r["note"] and "1955" in r["note"]


def test_disagreement_is_reported_not_forced(tmp_path, state_year):
    seeds = copy_seeds(tmp_path)
    replace_line(
        seeds / "moura_table1.csv",
        "China's GDP growth,1955,710,,gdp_growth_pct,derived,57,percent,57%",
        "China's GDP growth,1955,710,,gdp_growth_pct,derived,60,percent,60%",
    )
    r = one(reproduce_seed_tables(seeds, state_year), "Table 1", "1955", "China's GDP growth")
    assert not bool(r["matches_paper_within_rounding"])
    assert r["diff_paper"] == pytest.approx(100 * (35.00 / 22.32 - 1) - 60)
    assert "disagrees with its own levels" in r["note"]


# ---------------------------------------------------------------- from public data


def test_public_china_ussr_gdp_ratio_from_maddison(result, mirror):
    mad = pyreadr.read_r(str(mirror / "maddison" / "MaddisonData.rda"))["MaddisonData"]

    def gdp(iso, year):
        row = mad[(mad["ISO"] == iso) & (mad["year"] == year)].iloc[0]
        return row["gdppc"] * row["pop"]

    rows = result[(result["row"] == T2_RATIO)]
    early = rows[rows["years_used"].astype(int).between(1950, 1960)]
    assert len(early) == 2  # the 1954 and 1957 columns (1955 and 1960 levels)
    for _, r in early.iterrows():
        y = int(r["years_used"])
        expected = gdp("CHN", y) / gdp("SUN", y)
        assert 0.5 <= expected <= 0.7
        assert r["recomputed_from_public"] / 100 == pytest.approx(expected, rel=1e-12)
        assert r["diff_public"] == pytest.approx(100 * expected - r["printed_value"])
        # the contrast: nominal GDP gives China under 10% of the USSR, PPP over half
        assert r["printed_value"] < 10 and r["recomputed_from_public"] > 50


def test_public_milex_growth_from_nmc(result, mirror):
    nmc = pyreadr.read_r(str(mirror / "peacesciencer" / "cow_nmc.rda"))["cow_nmc"]

    def milex(c, y):
        return nmc[(nmc["ccode"] == c) & (nmc["year"] == y)]["milex"].iloc[0]

    r = one(result, "Table 3", "1960", "China growth")
    assert r["recomputed_from_public"] == pytest.approx(100 * (milex(710, 1960) / milex(710, 1950) - 1))
    assert r["public_source"].startswith("COW NMC")


def test_public_population_and_gdp_levels(result, mirror):
    nmc = pyreadr.read_r(str(mirror / "peacesciencer" / "cow_nmc.rda"))["cow_nmc"]
    tpop = nmc[(nmc["ccode"] == 710) & (nmc["year"] == 1957)]["tpop"].iloc[0]
    r = one(result, "Table 2", "PRC's Population", "1957")
    assert r["printed_value"] == 654
    assert r["recomputed_from_public"] == pytest.approx(tpop / 1000)
    assert r["diff_public"] == pytest.approx(tpop / 1000 - 654)
    assert math.isnan(r["recomputed_from_paper_levels"])
    assert pd.isna(r["matches_paper_within_rounding"])
    # GDP levels: different units, shown side by side but not differenced
    g = one(result, "Table 1", "1950", "China's GDP")
    assert g["recomputed_from_public"] > 0 and math.isnan(g["diff_public"])
    assert g["public_unit"] == "2011_intl_usd_billions_ppp"


def test_public_value_is_nan_not_zero_when_state_year_lacks_it(state_year):
    sy = state_year.copy()
    sy.loc[(sy["ccode"] == 710) & (sy["year"] == 1950), "milex"] = float("nan")
    sy = sy[~((sy["ccode"] == 365) & (sy["year"] == 1970))]
    res = reproduce_seed_tables(SEED_DIR, sy)
    r = one(res, "Table 3", "1960", "China growth")
    assert math.isnan(r["recomputed_from_public"]) and math.isnan(r["diff_public"])
    assert "lacks milex[710, 1950]" in r["note"]
    r = one(res, "Table 2", T2_RATIO, "1969")
    assert math.isnan(r["recomputed_from_public"])
    assert "lacks gdp[365, 1970]" in r["note"]
    # the paper-side recomputation does not depend on state_year
    assert bool(r["matches_paper_within_rounding"])


# ---------------------------------------------------------------- malformed input


def test_missing_column_names_file_row_and_field(tmp_path):
    seeds = copy_seeds(tmp_path)
    path = seeds / "moura_table3.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.drop(columns="unit").to_csv(path, index=False)
    with pytest.raises(SeedTableError) as exc:
        load_seed_tables(seeds)
    msg = str(exc.value)
    assert str(path) in msg and "'unit'" in msg and "line 1" in msg
    assert isinstance(exc.value, SourceFormatError) and isinstance(exc.value, PipelineError)


def test_non_numeric_value_names_file_row_and_field(tmp_path):
    seeds = copy_seeds(tmp_path)
    path = seeds / "moura_table1.csv"
    # data row 6 (file line 7): USSR's GDP 1955
    replace_line(path, "gdp_nominal,level,441.60,", "gdp_nominal,level,441.6O,")
    with pytest.raises(SeedTableError) as exc:
        load_seed_tables(seeds)
    msg = str(exc.value)
    assert str(path) in msg and "row 6" in msg and "line 7" in msg
    assert "field 'value'" in msg and "'441.6O'" in msg


def test_value_must_match_printed_cell(tmp_path):
    seeds = copy_seeds(tmp_path)
    path = seeds / "moura_table3.csv"
    replace_line(path, "milex_pct_gdp,level,11.34,percent,11.34%", "milex_pct_gdp,level,11.43,percent,11.34%")
    with pytest.raises(SeedTableError, match=r"row 5 \(line 6\), field 'value'.*11\.34%"):
        load_seed_tables(seeds)


def test_derived_figure_without_derivation_is_refused(tmp_path):
    seeds = copy_seeds(tmp_path)
    path = seeds / "moura_derivations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith("Moura (seed 002),Table 3,1970,USSR growth,")]
    assert len(kept) == len(lines) - 1
    path.write_text("".join(kept), encoding="utf-8")
    with pytest.raises(SeedTableError) as exc:
        load_seed_tables(seeds)
    msg = str(exc.value)
    assert "moura_table3.csv" in msg and "row 12" in msg and "no derivation" in msg


def test_formula_may_only_reference_levels(tmp_path):
    seeds = copy_seeds(tmp_path)
    path = seeds / "moura_derivations.csv"
    replace_line(
        path,
        '"100 * gdp_nominal[710, 1955] / gdp_nominal[365, 1955]"',
        "\"__import__('os').getcwd()\"",
    )
    with pytest.raises(SeedTableError, match=r"moura_derivations\.csv.*field 'formula'.*not allowed"):
        load_seed_tables(seeds)
    replace_line(path, "\"__import__('os').getcwd()\"", '"100 * gdp_nominal[710, 1954] / gdp_nominal[365, 1954]"')
    with pytest.raises(SeedTableError, match=r"field 'formula'.*gdp_nominal\[710, 1954\] is not a printed level"):
        load_seed_tables(seeds)

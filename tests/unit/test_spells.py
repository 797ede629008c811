"""Alliance spells and political breaks (issue 25, item 3): which years are at
risk, which ends are breaks, and how every other end is named."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alliance_models.data import spells as sp

ROOT = Path(__file__).resolve().parents[2]
F = 365

# partner -> years with an obligation in force (any); every partner is a
# system member 1940-1965 unless listed in GONE (last member year)
IN_FORCE = {
    345: range(1945, 1950),  # breaks 1948 (a case); ATOP keeps it to 1949
    710: range(1950, 1966),  # breaks 1960; ATOP to 1965: 1961-1965 dropped
    366: range(1940, 1941),  # annexed: its last member year is 1940
    2: range(1942, 1946),  # a wartime pledge lapsing in 1945
    220: range(1944, 1956),  # a treaty ending in 1955 (not wartime)
    651: [1946, 1947, 1952, 1953],  # two spells: 1946-47, 1952-53; ends 1953 with no 4.01 treaty ending then
}
GONE = {366: 1940}
YEARS = range(1940, 1966)


def make_panel() -> pd.DataFrame:
    rows = []
    for c in IN_FORCE:
        for y in YEARS:
            if y > GONE.get(c, 9999):
                continue
            bound = float(y in IN_FORCE[c])
            rows.append({"ccode1": F, "ccode2": c, "year": y, "atop_any": bound, "atop_defense": bound})
    p = pd.DataFrame(rows)
    p["era"] = "soviet"
    return p


def treaty_rows(atopid, members, entry, end, wartime):
    return [
        {
            "atopid": atopid,
            "member": m,
            "entry_year": entry,
            "end_year": float(end),
            "exit_year": np.nan,
            "wartime": wartime,
        }
        for m in members
    ]


TREATIES = pd.DataFrame(
    treaty_rows(1, [F, 2], 1942, 1945, True)
    + treaty_rows(2, [F, 220], 1944, 1955, False)
    + treaty_rows(3, [F, 345], 1945, 1949, False)
    + treaty_rows(4, [F, 710], 1950, 1980, False)
    + treaty_rows(5, [F, 651], 1946, 1947, False)
)

CASES = pd.DataFrame(
    [
        {"case_id": "yugoslavia-1948", "ccode1": F, "ccode2": 345, "year": 1948, "event": "broke"},
        {"case_id": "china-1960", "ccode1": F, "ccode2": 710, "year": 1960, "event": "broke"},
        {"case_id": "us-1947", "ccode1": F, "ccode2": 2, "year": 1947, "event": "broke"},  # nothing in force
        {"case_id": "china-1950", "ccode1": F, "ccode2": 710, "year": 1950, "event": "formed"},
        {"case_id": "other-focal", "ccode1": 2, "ccode2": 220, "year": 1950, "event": "broke"},
    ]
)


@pytest.fixture(scope="module")
def built():
    return sp.build_alliance_spells(make_panel(), CASES, TREATIES)


def ends(at):
    return {(int(r.ccode2), int(r.year)): r.spell_end for r in at[at["spell_end"] != ""].itertuples()}


def test_at_risk_rows_and_clock(built):
    at, _ = built
    assert set(at["atop_any"]) == {1.0}
    china = at[at["ccode2"] == 710]
    assert china["year"].tolist() == list(range(1950, 1961))  # 1961-1965 dropped after the break
    assert china["spell_years"].tolist() == list(range(0, 11))
    assert np.allclose(china["log1p_spell_years"], np.log1p(np.arange(11)))
    egypt = at[at["ccode2"] == 651]
    assert egypt["spell_start"].tolist() == [1946, 1946, 1952, 1952]  # two spells, each with its own clock
    assert egypt["spell_years"].tolist() == [0, 1, 0, 1]
    assert egypt["spell_id"].nunique() == 2


def test_breaks_are_the_case_files_events(built):
    at, meta = built
    ev = at[at["political_break"] == 1]
    assert list(zip(ev["ccode2"], ev["year"], ev["break_case"])) == [
        (345, 1948, "yugoslavia-1948"),
        (710, 1960, "china-1960"),
    ]
    assert (at.loc[at["political_break"] == 0, "break_case"] == "").all()
    assert meta["breaks_matched"] == 2 and meta["break_cases"] == ["china-1960", "yugoslavia-1948"]
    why = {u["case_id"]: u["reason"] for u in meta["breaks_unmatched"]}
    assert why == {
        "us-1947": "no obligation (any) of the pair in force that year",
        "other-focal": "its focal state is not a focal state of this panel",
    }
    assert meta["rows_dropped_after_break"] == 1 + 5  # Yugoslavia 1949; China 1961-1965


def test_every_other_end_is_named(built):
    at, meta = built
    assert ends(at) == {
        (345, 1948): sp.BREAK,
        (710, 1960): sp.BREAK,
        (366, 1940): sp.PARTNER_GONE,
        (2, 1945): sp.WARTIME,
        (220, 1955): sp.ENDED,
        (651, 1947): sp.ENDED,
        (651, 1953): sp.UNMATCHED,
    }
    assert meta["ends_by_kind"][sp.BREAK] == 2 and meta["ends_by_kind"][sp.WARTIME] == 1
    assert meta["ends_by_era"] == {
        "soviet": {sp.BREAK: 2, sp.ENDED: 2, sp.PARTNER_GONE: 1, sp.UNMATCHED: 1, sp.WARTIME: 1}
    }


def test_in_force_at_panel_end_and_focal_gone():
    p = make_panel()
    p = p[p["year"] <= 1950]
    at, _ = sp.build_alliance_spells(p, CASES.iloc[:0], TREATIES)
    e = ends(at)
    assert e[(710, 1950)] == sp.PANEL_END and e[(220, 1950)] == sp.PANEL_END
    q = make_panel()
    q = q[~(q["year"] > 1947)]  # the focal state has no rows after 1947
    q = pd.concat(
        [
            q,
            pd.DataFrame(
                [{"ccode1": 2, "ccode2": 220, "year": 1950, "atop_any": 0.0, "atop_defense": 0.0, "era": "x"}]
            ),
        ]
    )
    at, _ = sp.build_alliance_spells(q, CASES.iloc[:0], TREATIES)
    assert ends(at)[(345, 1947)] == sp.FOCAL_GONE


def test_obligation_choice_and_bad_inputs():
    p = make_panel()
    p.loc[p["ccode2"] == 651, "atop_defense"] = 0.0
    at, meta = sp.build_alliance_spells(p, CASES, TREATIES, obligation="defense")
    assert 651 not in set(at["ccode2"]) and meta["obligation"] == "defense"
    with pytest.raises(ValueError, match="obligation must be one of"):
        sp.build_alliance_spells(p, CASES, TREATIES, obligation="alliance")
    with pytest.raises(Exception, match="cases table.*'event'"):
        sp.build_alliance_spells(p, CASES.drop(columns="event"), TREATIES)


REAL = ROOT / "data" / "processed" / "alliance_spells_ussr.parquet"


def test_real_soviet_breaks():
    """The default run's table: the Soviet era's breaks are the case files'
    seven break cases (eleven partners: the Warsaw Pact's dissolution is one
    case with five); the United States in 1947 is not at risk (its wartime
    pledges lapsed in 1945); the Baltic states and the GDR leave the system."""
    if not REAL.is_file():
        pytest.skip(f"{REAL} not built")
    import yaml

    at = pd.read_parquet(REAL)
    meta = yaml.safe_load(Path(str(REAL) + ".meta.yaml").read_text())
    sov = at[at["era"] == "soviet"]
    assert sov["political_break"].sum() == 11
    assert sorted(sov.loc[sov["political_break"] == 1, "break_case"].unique()) == [
        "albania-break-1961",
        "egypt-abrogation-1976",
        "grand-alliance-breakdown-1947",
        "sino-soviet-split-1960",
        "somalia-break-1977",
        "warsaw-pact-dissolution-1991",
        "yugoslavia-expulsion-1948",
    ]
    assert [(u["ccode2"], u["year"]) for u in meta["breaks_unmatched"]] == [(2, 1947)]
    e = ends(sov)
    assert all(e[(c, 1940)] == sp.PARTNER_GONE for c in (366, 367, 368))
    assert e[(265, 1990)] == sp.PARTNER_GONE
    assert meta["ends_by_era"]["soviet"][sp.WARTIME] >= 30  # most ATOP ends of the era are wartime lapses
    assert sov[sov["ccode2"] == 710]["year"].max() == 1960  # ATOP runs the treaty to 1980

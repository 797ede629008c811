"""Alliance cases: validation of case files, encoding against the real data,
Yu's Table 1 and Moura's Table 4 (alliance_models.cases)."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from alliance_models import cases as C
from alliance_models.config import read_yaml, validate_config
from alliance_models.data import maddison, nmc, states
from alliance_models.data.dyads import load_mids
from alliance_models.data.state_year import build_state_year
from alliance_models.errors import CaseError
from alliance_models.sources import read_rda

GOOD = {
    "id": "test-case-1950",
    "partners": [710],
    "year": 1950,
    "event": "formed",
    "threat": [2],
    "expert": {"disparity": "high", "threat": "high", "note": "A test case."},
    "category": "strong_alliance",
    "sources": ["Yu, sec. 4.2"],
}


def case(**changes):
    c = json.loads(json.dumps(GOOD))
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def write(tmp_path, name, cases):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(cases, sort_keys=False), encoding="utf-8")
    return p


def errors_of(paths, spells=None) -> str:
    with pytest.raises(CaseError) as exc:
        C.validate_case_files(paths, spells)
    return str(exc.value)


@pytest.fixture(scope="module")
def spells(mirror):
    return states.load_system(mirror / "peacesciencer" / "cow_states.rda")


# ---------------------------------------------------------------------------
# validation: one test per error, each names file, case, item and field


def test_good_file_gives_one_row_per_case_with_allied_outcome(tmp_path, spells):
    events = ["formed", "failed", "held", "broke", "punished"]
    rows = [case(id=f"c-{e}", event=e, category="strong_alliance") for e in events]
    rows[0].pop("expert")
    rows[0]["expert"] = {"disparity": "low", "threat": "low", "note": "x"}
    rows[0]["category"] = "unstable_alliance"
    rows[0]["focal"] = 2  # explicit focal, not the default
    rows[0]["partners"] = [200]
    rows[0]["threat"] = [255]
    rows[0]["year"] = 1942
    df = C.validate_case_files([write(tmp_path, "a.yaml", rows)], spells)
    assert list(df["case_id"]) == [f"c-{e}" for e in events]
    assert dict(zip(df["event"], df["allied"])) == {"formed": 1, "failed": 0, "held": 1, "broke": 0, "punished": 1}
    assert list(df["focal"]) == [2, 365, 365, 365, 365]  # 365 when omitted
    assert df["end_year"].isna().all() and str(df["end_year"].dtype) == "Int64"
    assert df.loc[0, "partners"] == [200] and df.loc[1, "threat"] == [2]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"- id: a\n  partners: [710\n", "YAML syntax error at line"),
        (b"", "empty file"),
        (b"# only a comment\n", "empty file"),
        (b"id: a\nyear: 1950\n", "the top level must be a list of cases"),
        (b"[]\n", "the list of cases is empty"),
        ("- id: caf\xe9\n".encode("latin-1"), "not valid UTF-8 text"),
        (b"- id: a\n  id: b\n", "found duplicate key 'id'"),
        (b"- just text\n", "expected a mapping of fields"),
    ],
)
def test_file_level_errors(tmp_path, content, problem):
    p = tmp_path / "bad.yaml"
    p.write_bytes(content)
    msg = errors_of([p])
    assert f"{p}: " in msg and problem in msg


@pytest.mark.parametrize(
    "changes, field, problem",
    [
        ({"year": None}, "year", "missing required field"),
        ({"sources": None}, "sources", "missing required field"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"expert": {"disparity": "high", "threat": "high", "note": "x", "why": "y"}}, "expert.why", "unknown field"),
        ({"category": "firm_alliance"}, "category", "unknown word 'firm_alliance'"),
        ({"event": "signed"}, "event", "unknown word 'signed'"),
        (
            {"expert": {"disparity": "medium", "threat": "high", "note": "x"}},
            "expert.disparity",
            "unknown word 'medium'",
        ),
        ({"year": "nineteen fifty"}, "year", "wrong type: expected an integer, got text 'nineteen fifty'"),
        ({"partners": 710}, "partners", "wrong type: expected an array"),
        ({"threat": [True]}, "threat[0]", "wrong type: expected an integer, got boolean True"),
        ({"partners": []}, "partners", "must not be empty"),
        ({"sources": []}, "sources", "must not be empty"),
        ({"id": "Sino_Soviet"}, "id", "is not a valid id"),
        ({"year": 1700}, "year", "year 1700 is outside 1816-2022"),
        ({"year": 2030}, "year", "year 2030 is outside 1816-2022"),
        ({"end_year": 1940}, "end_year", "end_year 1940 is before year 1950"),
        ({"partners": [710, 365]}, "partners", "lists the focal state 365 among its partners"),
        ({"threat": [365]}, "threat", "lists the focal state 365 among its threats"),
        ({"threat": [2, 710]}, "threat", "710 also named as a partner"),
        ({"partners": [1000]}, "partners[0]", "1000 is not a COW code"),
        ({"category": "no_alliance"}, "category", "no_alliance contradicts event 'formed'"),
        ({"category": "no_alliance", "event": "held"}, "category", "no_alliance contradicts event 'held'"),
        ({"category": "no_alliance", "event": "punished"}, "category", "no_alliance contradicts event 'punished'"),
    ],
)
def test_case_level_errors_name_file_case_item_and_field(tmp_path, changes, field, problem):
    p = write(tmp_path, "cases.yaml", [case(id="fine-1950"), case(**changes)])
    msg = errors_of([p])
    cid = changes.get("id", GOOD["id"])
    assert f"{p}: case '{cid}' (item 2): field '{field}': " in msg, msg
    assert problem in msg, msg
    assert "item 1" not in msg  # the good case is not blamed


def test_no_alliance_is_allowed_on_failed_and_broke(tmp_path):
    p = write(
        tmp_path,
        "ok.yaml",
        [
            case(id="a", event="failed", category="no_alliance"),
            case(id="b", event="broke", category="no_alliance"),
        ],
    )
    assert len(C.validate_case_files([p])) == 2


def test_unknown_cow_code_needs_the_state_list(tmp_path, spells):
    p = write(tmp_path, "c.yaml", [case(partners=[3])])  # 3 lies in 2-990 but is no COW state
    assert len(C.validate_case_files([p])) == 1  # schema level: accepted
    msg = errors_of([p], spells)
    assert f"{p}: case 'test-case-1950' (item 1): field 'partners': unknown COW code 3" in msg


@pytest.mark.parametrize(
    "changes, field, code, span",
    [
        ({"partners": [255]}, "partners", 255, "member 1816-1945, 1990-2022"),  # Germany in 1950
        ({"threat": [740]}, "threat", 740, "member 1860-1945, 1952-2022"),  # Japan, occupied
        ({"focal": 265, "partners": [710]}, "focal", 265, "member 1954-1990"),  # GDR before 1954
    ],
)
def test_state_not_in_system_that_year(tmp_path, spells, changes, field, code, span):
    p = write(tmp_path, "c.yaml", [case(**changes)])
    msg = errors_of([p], spells)
    assert f"field '{field}': COW code {code} (" in msg and f"is not a system member in 1950 ({span})" in msg


def test_duplicate_ids_across_files(tmp_path):
    a = write(tmp_path, "a.yaml", [case(id="same-id")])
    b = write(tmp_path, "b.yaml", [case(id="other"), case(id="same-id")])
    msg = errors_of([a, b])
    assert f"{b}: case 'same-id' (item 2): field 'id': duplicate id: also used by {a} (item 1)" in msg


def test_all_errors_in_all_files_reported_together(tmp_path, spells):
    a = write(tmp_path, "a.yaml", [case(id="a1", year=1700), case(id="a2", category="maybe")])
    b = write(tmp_path, "b.yaml", [case(id="b1", partners=[255]), case(id="b2", threat=[710])])
    c = tmp_path / "c.yaml"
    c.write_text("- id: [unclosed\n", encoding="utf-8")
    msg = errors_of([a, b, c], spells)
    lines = [line.strip() for line in msg.splitlines()[1:]]
    assert msg.startswith("5 problem(s) in the case files")
    assert len(lines) == 5
    assert any(line.startswith(f"{a}: case 'a1' (item 1): field 'year'") for line in lines)
    assert any(line.startswith(f"{a}: case 'a2' (item 2): field 'category'") for line in lines)
    assert any(line.startswith(f"{b}: case 'b1' (item 1): field 'partners'") for line in lines)
    assert any(line.startswith(f"{b}: case 'b2' (item 2): field 'threat'") for line in lines)
    assert any(line.startswith(f"{c}: YAML syntax error") for line in lines)


def test_no_files_is_an_error():
    with pytest.raises(CaseError, match="no case files"):
        C.validate_case_files([])


def test_schema_documents_every_key_and_refuses_unknown_ones(root):
    schema = json.loads((root / "workflow" / "schemas" / "case.schema.json").read_text())

    def walk(node, where):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, where
            for k, sub in node["properties"].items():
                assert sub.get("description"), f"{where}.{k} has no description"
                walk(sub, f"{where}.{k}")
        if node.get("type") == "array":
            walk(node["items"], f"{where}[]")

    walk(schema["items"], "case")
    assert schema["items"]["properties"]["id"]["pattern"] == "^[a-z0-9]+(-[a-z0-9]+)*$"
    assert schema["items"]["properties"]["focal"]["default"] == 365
    assert set(schema["items"]["properties"]["category"]["enum"]) == set(C.CATEGORIES)


# ---------------------------------------------------------------------------
# the shipped case files

REQUIRED_IDS = [
    "franco-soviet-treaty-1935",
    "czechoslovak-soviet-treaty-1935",
    "anglo-franco-soviet-talks-1939",
    "nazi-soviet-pact-1939",
    "anglo-soviet-agreement-1941",
    "declaration-united-nations-1942",
    "yugoslavia-expulsion-1948",
    "sino-soviet-treaty-1950",
    "geneva-conference-1954",
    "poland-october-1956",
    "hungary-intervention-1956",
    "moscow-conference-1957",
    "sino-soviet-split-1960",
    "sino-soviet-border-clashes-1969",
    "north-korea-aid-competition-1953",
    "rapallo-treaty-1922",
    "berlin-treaty-1926",
    "mongolia-protocol-1936",
    "mongolia-treaty-1946",
    "finland-treaty-1948",
    "warsaw-pact-1955",
    "north-korea-treaty-1961",
    "albania-break-1961",
    "egypt-treaty-1971",
    "egypt-abrogation-1976",
    "india-treaty-1971",
    "iraq-treaty-1972",
    "vietnam-treaty-1978",
    "afghanistan-treaty-1978",
    "syria-treaty-1980",
]


@pytest.fixture(scope="module")
def shipped(root, spells):
    return C.validate_case_files(sorted((root / "data" / "raw" / "cases").glob("*.yaml")), spells)


def test_shipped_case_files_validate_against_real_cow_spells(shipped):
    assert len(shipped) >= 30
    assert shipped["file"].nunique() >= 3
    missing = sorted(set(REQUIRED_IDS) - set(shipped["case_id"]))
    assert not missing, f"cases missing: {missing}"
    assert shipped["sources"].map(len).min() >= 1
    assert set(shipped["event"]) == {"formed", "failed", "held", "broke", "punished"}
    # both outcomes occur in every expert cell that has cases of both kinds in the literature
    assert shipped["allied"].sum() > 0 and (shipped["allied"] == 0).sum() > 0


# ---------------------------------------------------------------------------
# encoding, checked against values computed here from the mirror files


@pytest.fixture(scope="module")
def raw(mirror):
    ps = mirror / "peacesciencer"
    return {
        "nmc": read_rda(ps / "cow_nmc.rda", "cow_nmc"),
        "mad": read_rda(mirror / "maddison" / "MaddisonData.rda", "MaddisonData"),
        "mids": read_rda(ps / "cow_mid_dirdisps.rda", "cow_mid_dirdisps"),
        "tss": read_rda(ps / "tss_rivalries.rda", "tss_rivalries"),
        "contdir": read_rda(ps / "cow_contdir.rda", "cow_contdir"),
        "mindist": read_rda(ps / "cow_mindist.rda", "cow_mindist"),
        "atop": read_rda(ps / "atop_alliance.rda", "atop_alliance"),
    }


@pytest.fixture(scope="module")
def state_year(mirror, root, spells, raw):
    mapping = maddison.load_mapping(root / "data" / "raw" / "mappings" / "maddison_iso3_to_cow.csv")
    gdp = maddison.clean_maddison(raw["mad"], mapping)
    n6 = nmc.clean_nmc6(pd.read_csv(mirror / "cow" / "NMC-60-abridged.csv"))
    return build_state_year(spells, nmc.clean_nmc7(raw["nmc"]), n6, gdp)


@pytest.fixture(scope="module")
def config(root):
    return validate_config(read_yaml(root / "config" / "config.yaml"), root / "config" / "config.schema.json")


@pytest.fixture(scope="module")
def encoded(shipped, state_year, raw, root, config):
    return C.encode_cases(
        shipped,
        state_year,
        mids=load_mids(raw["mids"]),
        tss=raw["tss"],
        contdir=raw["contdir"],
        mindist=raw["mindist"],
        atop=raw["atop"],
        seed_gdp=C.seed_gdp_levels(root / "data/raw/seed_tables"),
        window=config["typology"]["mid_window"],
        seed_gdp_max_gap=config["typology"]["seed_gdp_max_gap"],
    )


def nmc_value(raw, ccode, year, col):
    n = raw["nmc"]
    return float(n.loc[(n["ccode"] == ccode) & (n["year"] == year), col].iloc[0])


def maddison_gdp(raw, iso, year):
    m = raw["mad"]
    r = m[(m["ISO"] == iso) & (m["year"] == year)].iloc[0]
    return r["gdppc"] * r["pop"] / 1000.0


def row(encoded, case_id, partner):
    r = encoded[(encoded["case_id"] == case_id) & (encoded["ccode2"] == partner)]
    assert len(r) == 1
    return r.iloc[0]


def test_one_row_per_case_partner(encoded, shipped):
    assert len(encoded) == int(shipped["partners"].map(len).sum())
    assert not encoded.duplicated(["case_id", "ccode2"]).any()
    wp = encoded[encoded["case_id"] == "warsaw-pact-1955"]
    assert sorted(wp["ccode2"]) == [265, 290, 310, 315, 339, 355, 360]
    assert (wp["n_partners"] == 7).all()


def test_sino_soviet_treaty_1950_against_the_mirror(encoded, raw, root):
    r = row(encoded, "sino-soviet-treaty-1950", 710)
    cinc = nmc_value(raw, 365, 1950, "cinc") / nmc_value(raw, 710, 1950, "cinc")
    assert r["cinc_ratio"] == pytest.approx(cinc, rel=1e-12)
    assert r["cinc_ratio"] == pytest.approx(1.52, abs=0.01)
    gdp = maddison_gdp(raw, "SUN", 1950) / maddison_gdp(raw, "CHN", 1950)
    assert r["gdp_ratio"] == pytest.approx(gdp, rel=1e-9)
    assert r["gdp_ratio"] == pytest.approx(1.86, abs=0.01)
    milex = nmc_value(raw, 365, 1950, "milex") / nmc_value(raw, 710, 1950, "milex")
    assert r["milex_ratio"] == pytest.approx(milex, rel=1e-12)
    assert r["log_cinc_ratio"] == pytest.approx(np.log(cinc))
    # the fourth measure: the seed's printed nominal GDP levels (Moura Table 1)
    t1 = pd.read_csv(root / "data/raw/seed_tables/moura_table1.csv")
    lv = t1[(t1["variable"] == "gdp_nominal") & (t1["year"] == 1950)].set_index("country")["value"]
    assert r["seed_gdp_ratio"] == pytest.approx(lv[365] / lv[710])
    assert r["seed_gdp_ratio"] == pytest.approx(13.63, abs=0.01)
    assert r["seed_gdp_year"] == 1950 and r["seed_gdp_label"] == "seed nominal GDP (Moura Table 1)"
    # threat: the US, TSS rival of the USSR 1945-1989
    assert r["n_threats"] == 1 and r["threat_codes"] == "2"
    assert r["threat_cinc"] == pytest.approx(nmc_value(raw, 2, 1950, "cinc"))
    assert r["threat_cinc_rel"] == pytest.approx(nmc_value(raw, 2, 1950, "cinc") / nmc_value(raw, 365, 1950, "cinc"))
    tss = raw["tss"]
    us = tss[(tss[["ccode1", "ccode2"]].min(axis=1) == 2) & (tss[["ccode1", "ccode2"]].max(axis=1) == 365)]
    assert r["threat_tss_rival"] == float(((us["start"] <= 1950) & (us["end"] >= 1950)).any()) == 1.0
    # Walt: land border, growth of China's milex 1945 -> 1950
    cd = raw["contdir"]
    assert r["conttype"] == cd.loc[(cd["ccode1"] == 365) & (cd["ccode2"] == 710), "conttype"].min() == 1
    growth = nmc_value(raw, 710, 1950, "milex") / nmc_value(raw, 710, 1945, "milex") - 1
    assert r["milex2_growth5"] == pytest.approx(growth)
    assert r["tpop2"] == nmc_value(raw, 710, 1950, "tpop")
    assert r["atop_defense"] == 1.0  # the treaty is in ATOP from 1950
    assert r["allied"] == 1 and r["expert_cell"] == "strong_alliance"


def test_finland_1948_no_named_threat_leaves_threat_measures_missing(encoded, raw):
    r = row(encoded, "finland-treaty-1948", 375)
    assert r["cinc_ratio"] == pytest.approx(nmc_value(raw, 365, 1948, "cinc") / nmc_value(raw, 375, 1948, "cinc"))
    assert r["gdp_ratio"] == pytest.approx(maddison_gdp(raw, "SUN", 1948) / maddison_gdp(raw, "FIN", 1948))
    assert np.isnan(r["seed_gdp_ratio"])  # the seed prints no Finnish GDP
    assert r["n_threats"] == 0 and r["threat_codes"] == ""
    for c in C.THREAT_INDICATORS:
        assert np.isnan(r[c]), c  # missing, never 0
    assert r["conttype"] == 1.0


def test_1969_partner_initiated_mids_against_the_mirror(encoded, raw):
    r = row(encoded, "sino-soviet-border-clashes-1969", 710)
    m = raw["mids"]
    sel = m[
        (m["ccode1"] == 365)
        & (m["ccode2"] == 710)
        & m["year"].between(1964, 1968)
        & (m["sidea2"] == 1)
        & (m["orig2"] == 1)
    ]
    assert r["mid_prior_init2"] == sel["dispnum"].nunique() > 0
    assert r["mid_prior_init2_hostlev"] == sel[["hostlev1", "hostlev2"]].max().max()
    # a year with the seed level five years off is left missing, one two off is used
    assert r["seed_gdp_year"] == 1970


def test_missing_counts_count_threatless_cases(encoded):
    mc = C.missing_counts(encoded).set_index("indicator")
    n_no_threat = int((encoded["n_threats"] == 0).sum())
    assert mc.loc["threat_cinc", "n_missing"] >= n_no_threat > 0
    assert f"{n_no_threat} of them: the case names no threat" == mc.loc["threat_cinc", "note"]
    assert mc.loc["seed_gdp_ratio", "n_missing"] == int(encoded["seed_gdp_ratio"].isna().sum())


def test_seed_gdp_uses_nearest_printed_year_within_the_gap():
    levels = pd.DataFrame(
        {
            "ccode": [1, 2, 1, 2],
            "year": [1950, 1950, 1955, 1955],
            "seed_gdp": [10.0, 5.0, 30.0, 10.0],
            "seed_gdp_unit": "u",
            "seed_gdp_label": "L",
        }
    )
    frame = pd.DataFrame({"ccode1": [1] * 5, "ccode2": [2] * 5, "year": [1950, 1952, 1953, 1957, 1958]})
    got = C._match_seed_gdp(frame, levels, max_gap=2)
    ratio = got["seed_gdp1"] / got["seed_gdp2"]
    assert list(got["seed_gdp_year"][:4]) == [1950, 1950, 1955, 1955]
    assert list(ratio[:4]) == [2.0, 2.0, 3.0, 3.0]
    assert np.isnan(got["seed_gdp_year"][4])  # 1958 is 3 years from 1955


# ---------------------------------------------------------------------------
# Yu's Table 1 and Moura's Table 4


def test_typology_shows_the_1950_treaty_in_different_cells(encoded, config):
    cells, per = C.typology_table(encoded, config["typology"])
    r = per[(per["case_id"] == "sino-soviet-treaty-1950")].iloc[0]
    assert (r["disparity_cinc"], r["disparity_gdp"], r["disparity_seed_gdp"]) == ("low", "low", "high")
    assert r["cell_cinc"] == r["cell_gdp"] == "unstable_alliance"
    assert r["cell_seed_gdp"] == "strong_alliance" == r["expert_cell"]
    assert r["cells_differ"] and r["differs_from_expert"]
    # cells: every case counted once under its expert cell
    assert cells["n_cases_expert"].sum() == encoded["case_id"].nunique()
    strong = cells.set_index("cell").loc["strong_alliance"]
    assert "sino-soviet-treaty-1950" in strong["cases_expert"].split("; ")
    for m in C.DISPARITY_MEASURES:
        assert cells[f"n_rows_{m}"].sum() == len(encoded)  # placed or counted as not placed


def test_typology_thresholds_come_from_config(encoded, config):
    typ = json.loads(json.dumps(config["typology"]))
    typ["disparity_ratio"]["cinc"] = 1.4  # below the 1950 ratio of 1.52
    _, per = C.typology_table(encoded, typ)
    assert per.loc[per["case_id"] == "sino-soviet-treaty-1950", "disparity_cinc"].iloc[0] == "high"


def test_moura_table4_from_measures_next_to_printed(state_year, raw, root, config):
    typ = config["typology"]
    ind = C.moura_indicators(
        state_year, typ, mids=load_mids(raw["mids"]), tss=raw["tss"], contdir=raw["contdir"], mindist=raw["mindist"]
    )
    printed = C.load_moura_table4(root / typ["moura_table4"])
    t = C.moura_table4(ind, typ, printed)
    body = t[t["pillar"] != "Agreement"].set_index(["pillar", "year"])
    assert len(body) == 15
    # printed coding transcribed from the paper
    assert body.loc[("Aggregate power", 1954), "printed"] == "+/-"
    assert body.loc[("Offensive capabilities", 1954), "printed"] == "-"
    # offensive capabilities recomputed from NMC milex growth
    for y in (1954, 1957, 1969):
        g = {c: nmc_value(raw, c, y, "milex") / nmc_value(raw, c, y - 5, "milex") - 1 for c in (365, 710)}
        assert body.loc[("Offensive capabilities", y), "computed"] == ("+" if g[710] > g[365] else "-")
    assert body.loc[("Proximity", 1969), "computed"] == "+"
    agree = t[t["pillar"] == "Agreement"].set_index("evidence")
    assert agree.loc["all years", "n_compared"] == 15
    assert agree.loc["all years", "n_agree"] == int(body["agree"].sum())
    assert agree.loc["year 1954", "n_agree"] == int(body.xs(1954, level="year")["agree"].sum())


def test_moura_table4_file_is_checked(tmp_path, root):
    src = (root / "data/raw/seed_tables/qualitative/moura_table4.csv").read_text()
    bad = tmp_path / "t4.csv"
    bad.write_text(src.replace(",+/-,", ",+-,", 1))
    with pytest.raises(CaseError, match=re.escape("field 'printed': '+-' is not one of + - +/-")):
        C.load_moura_table4(bad)

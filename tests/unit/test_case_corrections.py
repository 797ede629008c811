"""The "Case corrections" issue: factual fixes to the shipped case files hold.

Reads data/raw/cases/*.yaml directly (and, where the real-data mirror is
present, validates them against COW membership and checks the measured ratio
the Yugoslavia note cites)."""

import re
from collections import defaultdict

import pytest
import yaml
from alliance_models import cases as C
from alliance_models.data import states
from alliance_models.sources import read_rda


@pytest.fixture(scope="module")
def case_files(root):
    return sorted((root / "data" / "raw" / "cases").glob("*.yaml"))


@pytest.fixture(scope="module")
def by_id(case_files):
    out = {}
    for path in case_files:
        for c in yaml.safe_load(path.read_text(encoding="utf-8")):
            c.setdefault("focal", C.DEFAULT_FOCAL)
            c["_file"] = path.name
            out[c["id"]] = c
    return out


@pytest.fixture(scope="module")
def spells(mirror):
    return states.load_system(mirror / "peacesciencer" / "cow_states.rda")


def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.;:])\s+", " ".join(text.split())) if s.strip()]


# ---------------------------------------------------------------------------
# 1. Berlin 1926: no motive dated after the treaty


def test_berlin_note_gives_locarno_not_a_later_event_as_motive(by_id):
    c = by_id["berlin-treaty-1926"]
    note = " ".join(c["expert"]["note"].split())
    assert "24 April 1926" in note and "Locarno" in note and "Article 16" in note
    assert c["threat"] == [200, 290]  # Britain and Poland, for their pre-treaty roles
    assert "Poland's role came before the treaty" in note
    # every sentence naming an event after April 1926 says it came after the treaty
    for s in sentences(note):
        if re.search(r"May 192[67]|Pilsudski|break of relations", s):
            assert "after the treaty" in s and "not motives" in s, s
    assert not re.search(r"Poland \(Pilsudski's coup, May 1926\) (was|were) the feared", note)
    assert any("Jacobson" in s for s in c["sources"]) and any("Carr" in s for s in c["sources"])


# ---------------------------------------------------------------------------
# 2. Poland 1956: threatened, not used -> held


def test_poland_1956_is_held_not_punished(by_id):
    c = by_id["poland-october-1956"]
    assert c["event"] == "held"
    assert C.EVENTS_ALLIED[c["event"]] == 1  # the outcome is unchanged
    note = " ".join(c["expert"]["note"].split())
    assert "threatened but not used" in note and "No force was used" in note
    assert "21 October" in note and "Gomulka" in note
    # the cases where force was used stay punished
    for cid in ("hungary-intervention-1956", "czechoslovakia-intervention-1968"):
        assert by_id[cid]["event"] == "punished"


def test_hungary_note_puts_the_decision_before_the_withdrawal(by_id):
    note = " ".join(by_id["hungary-intervention-1956"]["expert"]["note"].split())
    assert note.index("31 October") < note.index("1 November")
    assert "followed the decision rather than causing it" in note
    assert not note.startswith("Yu's second punishment case (sec. 3, 4.2): after Nagy announced")


# ---------------------------------------------------------------------------
# 3. the Sino-Soviet break counted once


def test_sino_soviet_break_counted_once(by_id):
    breaks = [c for c in by_id.values() if c["focal"] == 365 and 710 in c["partners"] and c["event"] == "broke"]
    assert [c["id"] for c in breaks] == ["sino-soviet-split-1960"]
    assert breaks[0]["year"] == 1960
    clash = by_id["sino-soviet-border-clashes-1969"]
    assert clash["event"] != "broke"
    assert C.EVENTS_ALLIED[clash["event"]] == 0  # not allied in 1969, as before
    assert "sino-soviet-split-1960" in clash["expert"]["note"]
    assert "1980" in clash["expert"]["note"]  # the formal lapse, not coded as an event
    assert "1980" in by_id["sino-soviet-split-1960"]["expert"]["note"]
    assert by_id["sino-soviet-treaty-1950"]["end_year"] == 1960


def test_no_pair_breaks_twice_without_a_new_alliance_between(by_id):
    events = defaultdict(list)
    for c in by_id.values():
        for p in c["partners"]:
            events[(c["focal"], p)].append((c["year"], c["event"], c["id"]))
    for pair, evs in events.items():
        last_broke = None
        for _year, ev, cid in sorted(evs):
            if ev == "formed":
                last_broke = None
            elif ev == "broke":
                assert last_broke is None, f"{pair}: {cid} breaks again after {last_broke}"
                last_broke = cid


# ---------------------------------------------------------------------------
# 4. Yugoslavia 1948: the literature's code kept, the disagreement flagged


def test_yugoslavia_keeps_low_and_flags_the_measured_ratio(by_id):
    c = by_id["yugoslavia-expulsion-1948"]
    assert c["expert"]["disparity"] == "low"
    assert c["category"] == "unstable_alliance"
    note = " ".join(c["expert"]["note"].split())
    assert "kept" in note and "disagree" in note
    assert "CINC ratio USSR/Yugoslavia is about 20" in note and "high disparity" in note
    assert "ideological appeal" in note and "6.2%" in note  # Yu's own reason


def test_yugoslavia_ratio_in_the_note_matches_the_data(mirror):
    nmc = read_rda(mirror / "peacesciencer" / "cow_nmc.rda", "cow_nmc")
    cinc = lambda cc: float(nmc.loc[(nmc["ccode"] == cc) & (nmc["year"] == 1948), "cinc"].iloc[0])  # noqa: E731
    ratio = cinc(365) / cinc(345)
    assert ratio == pytest.approx(20, abs=1)
    assert ratio > 3  # above the config's disparity threshold: the data say high


# ---------------------------------------------------------------------------
# 5. the six treaties added

ADDED = {
    # id: (partner, case year, signature date, threat)
    "czechoslovak-soviet-treaty-1943": (315, 1945, "12 December 1943", [255]),
    "poland-treaty-1945": (290, 1945, "21 April 1945", [255]),
    "romania-treaty-1948": (360, 1948, "4 February 1948", []),
    "hungary-treaty-1948": (310, 1948, "18 February 1948", []),
    "bulgaria-treaty-1948": (355, 1948, "18 March 1948", []),
    "mongolia-treaty-1966": (712, 1966, "15 January 1966", [710]),
}


@pytest.mark.parametrize("cid", sorted(ADDED))
def test_added_treaty(by_id, cid):
    partner, year, date, threat = ADDED[cid]
    c = by_id[cid]
    assert c["_file"] == "soviet_alignments.yaml"
    assert c["partners"] == [partner] and c["year"] == year and c["event"] == "formed"
    assert c["threat"] == threat
    assert date in c["expert"]["note"]
    assert any(s.startswith("Treaty of") and s.endswith(f"({date})") for s in c["sources"])
    assert len(c["sources"]) >= 2  # the treaty and a standard history
    assert c["category"] == C.YU_CELLS[(c["expert"]["disparity"], c["expert"]["threat"])]


def test_czechoslovakia_1943_coded_when_membership_resumes(by_id, spells):
    s = spells[spells["ccode"] == 315]
    member = lambda y: bool(((s["start_year"] <= y) & (s["end_year"] >= y)).any())  # noqa: E731
    assert not member(1943) and not member(1944) and member(1945)
    note = " ".join(by_id["czechoslovak-soviet-treaty-1943"]["expert"]["note"].split())
    assert "Coded in 1945, not 1943" in note and "membership resumes" in note


def test_1948_treaties_follow_the_threat_convention(by_id, spells):
    germans = spells[spells["ccode"].isin([255, 260, 265])]
    assert not ((germans["start_year"] <= 1948) & (germans["end_year"] >= 1948)).any()
    for cid in ("romania-treaty-1948", "hungary-treaty-1948", "bulgaria-treaty-1948"):
        c = by_id[cid]
        assert c["threat"] == [] and "Germany" in c["expert"]["note"] and "Finland 1948" in c["expert"]["note"]


def test_mongolia_1966_deepens_the_existing_alliance(by_id):
    note = " ".join(by_id["mongolia-treaty-1966"]["expert"]["note"].split())
    assert "deepened an existing alliance" in note and "mongolia-treaty-1946" in note
    assert by_id["mongolia-treaty-1946"]["end_year"] == 1966


# ---------------------------------------------------------------------------
# everything still validates against the real COW membership list


def test_corrected_files_validate(case_files, spells):
    got = C.validate_case_files(case_files, spells)
    assert set(ADDED) <= set(got["case_id"])
    assert got["case_id"].is_unique
    ev = got.set_index("case_id")["event"]
    assert ev["poland-october-1956"] == "held" and ev["sino-soviet-border-clashes-1969"] == "failed"

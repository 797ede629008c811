"""ATOP 4.01 treaty table and onset matching, on the real mirror and on small constructed tables.

Constructed tables use invented states 1-9 and treaties 901-906 to test the rules
(tiers, ties, phases, reasons). Every number presented as real is recomputed in the
test from the raw ATOP files with plain pandas, independently of the module.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from alliance_models.data import treaties as tr
from alliance_models.errors import SourceFormatError

ROOT = Path(__file__).resolve().parents[2]
USSR = 365


@pytest.fixture(scope="module")
def raw(mirror):
    d = mirror / "atop"
    return tr.read_atop4(d / "atop-member-level.csv", d / "atop-alliance-level.csv")


@pytest.fixture(scope="module")
def table(raw):
    return tr.build_treaty_table(*raw)


def dates(df, y, m, d):
    """Plain-pandas timestamps (a missing day read as the 1st: only used on rows where no day is missing)."""
    return pd.to_datetime(pd.DataFrame({"year": df[y], "month": df[m], "day": df[d].fillna(1)}))


def onset_panel(rows, obligation="defense"):
    """A directed dyad-year panel of onsets: rows are (ccode1, ccode2, year, era)."""
    p = pd.DataFrame(rows, columns=["ccode1", "ccode2", "year", "era"]).astype({"ccode1": int, "ccode2": int})
    other = "any" if obligation == "defense" else "defense"
    return p.assign(**{f"atop_{obligation}_onset": 1.0, f"atop_{other}_onset": 0.0})


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("which, column", [(0, "yrent"), (1, "begyr")])
def test_read_atop4_names_file_and_missing_column(mirror, tmp_path, which, column):
    names = ["atop-member-level.csv", "atop-alliance-level.csv"]
    paths = [mirror / "atop" / n for n in names]
    bad = tmp_path / names[which]
    pd.read_csv(paths[which], nrows=5).drop(columns=column).to_csv(bad, index=False)
    paths[which] = bad
    with pytest.raises(ValueError, match=rf"{names[which]}.*'{column}'") as err:
        tr.read_atop4(*paths)
    assert isinstance(err.value, SourceFormatError)


# --------------------------------------------------------------------------- treaty table


def test_table_rows_columns_and_types(raw, table):
    members, alliances = raw
    assert list(table.columns) == tr.TABLE_COLUMNS
    pairs = members[["atopid", "member"]].drop_duplicates().sort_values(["atopid", "member"])
    assert table[["atopid", "member"]].to_numpy().tolist() == pairs.to_numpy().tolist()
    ints = ["atopid", "member", "signed_year", "entry_year", "entry_day", "n_members", "defense", "treaty_consul"]
    assert all(table[c].dtype == "int64" for c in ints)
    assert all(table[c].dtype == bool for c in ["original", "adhesion", "bilateral", "wartime", "renewal"])
    assert table.renews.dtype == "Int64" and table.exit_year.dtype == "float64"
    assert (table.original != table.adhesion).all()
    # 4.01 ends in 2016: the coverage constant used in the unmatched reasons
    assert tr.ATOP4_LAST_YEAR == max(alliances.begyr.max(), members.yrent.max())
    # a member still in force in any row has no exit year; "in force" treaties have no end year
    still = members[members.yrexit == 0][["atopid", "member"]].drop_duplicates()
    got = table.merge(still)
    assert got.exit_year.isna().all() and len(got) == len(still)
    assert table.end_year.isna().sum() == table.atopid.isin(alliances.atopid[alliances.endyr == 0]).sum()


def test_un_declaration_2550_originals_and_adhesions(raw, table):
    members, alliances = raw
    rows = members[members.atopid == 2550]
    entry = rows.assign(date=dates(rows, "yrent", "moent", "dayent")).groupby("member").date.min()
    begin = dates(alliances[alliances.atopid == 2550], "begyr", "begmo", "begday").item()
    originals, adhered = set(entry.index[entry == begin]), set(entry.index[entry > begin])
    t = table[table.atopid == 2550]
    assert set(t.member[t.original]) == originals and set(t.member[t.adhesion]) == adhered
    assert (t.n_original == len(originals)).all() and (t.n_members == len(entry)).all()
    by_year = t[t.adhesion].groupby("entry_year").size().to_dict()
    assert by_year == entry[entry > begin].dt.year.value_counts().to_dict()
    # 25 originals on 1 Jan 1942, not the historical 26: India (750) was no COW state and is not a member
    assert len(originals) == 25 and 750 not in entry.index, sorted(originals)
    assert t.wartime.all() and (t.defense == 1).all() and not t.bilateral.any()


def test_soviet_defence_treaties_as_original_signatory(raw, table):
    members, alliances = raw
    # independent: rows where the USSR holds defence in some phase, its first entry == the treaty's begin date
    su = members[(members.member == USSR)]
    su_def = su[su.defense == 1].atopid.unique()
    first = su.assign(date=dates(su, "yrent", "moent", "dayent")).groupby("atopid").date.min()
    beg = alliances.set_index("atopid")
    beg = beg.assign(date=dates(beg, "begyr", "begmo", "begday"))
    ids = [i for i in su_def if 1922 <= beg.begyr[i] <= 1991 and first[i] == beg.date[i]]
    listing = {
        int(i): (int(beg.begyr[i]), sorted(members.member[members.atopid == i].unique().tolist())) for i in sorted(ids)
    }
    t = table[(table.member == USSR) & (table.defense == 1) & table.original & table.signed_year.between(1922, 1991)]
    text = "\n".join(f"{i} {y} {m}" for i, (y, m) in listing.items())
    assert t.atopid.tolist() == sorted(ids), text
    assert all(sorted(table.member[table.atopid == i]) == m for i, (_, m) in listing.items()), text
    print("Soviet defence treaties, USSR an original signatory:\n" + text)


def test_renewal_examples(raw, table):
    t = table.drop_duplicates("atopid").set_index("atopid")
    # USSR-Mongolia: 1936 (2370; its 1946 protocol is phase 2 of the same treaty) renewed by 1966 (3535)
    assert t.renews[3535] == 2370 and pd.isna(t.renews[2370])
    assert set(raw[0].phase[raw[0].atopid == 2370]) == {1, 2}
    # USSR-Poland 1945 (3025) renewed in 1965 (3520)
    assert t.renews[3520] == 3025 and t.end_year[3025] >= t.signed_year[3520] - 1
    # USSR-Czechoslovakia 1943 (2563) renews nothing: the 1935 pact (2365) ended years before
    assert pd.isna(t.renews[2563]) and not t.renewal[2563]
    assert t.end_year[2365] < t.signed_year[2563] - 1
    assert t.renewal.sum() == t.renews.notna().sum()


def test_renewal_rule_brute_force(table):
    t = table.drop_duplicates("atopid").set_index("atopid")
    sig = table.assign(d=table.signed_year * 10_000 + table.signed_month * 100 + table.signed_day)
    beg = sig.drop_duplicates("atopid").set_index("atopid").d
    orig = table[table.original].groupby("atopid").member.apply(frozenset)
    by_set = {}
    for i, s in orig.items():
        by_set.setdefault(s, []).append(i)
    for i, s in orig.items():
        ok = [
            j
            for j in by_set[s]
            if beg[j] < beg[i] and (np.isnan(t.end_year[j]) or t.end_year[j] >= t.signed_year[i] - 1)
        ]
        want = max(ok, key=lambda j: (beg[j], j)) if ok else None
        got = t.renews[i]
        assert (pd.isna(got) and want is None) or got == want, (i, got, want)


# --------------------------------------------------------------------------- onset matching, constructed


def constructed():
    """Invented treaties: 901 (1, 2, 6 adhering 1905), 902 (1, 3), 903 (1, 5: nonagg, then defence from phase 2),
    904/905 (1, 7, same year; 1 is original only in 905), 906 (1, 8: nonagg only)."""
    cols = ["atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "phase", "maxphase"]
    rows = [
        (901, 1, 1900, 3, 1, 0, 0, 0, 0, 0, 1, 0),
        (901, 2, 1900, 3, 1, 0, 0, 0, 0, 0, 1, 0),
        (901, 6, 1905, 7, 1, 0, 0, 0, 0, 0, 1, 0),
        (902, 1, 1910, 5, 1, 1930, 1, 1, 0, 0, 1, 0),
        (902, 3, 1910, 5, 1, 1930, 1, 1, 0, 0, 1, 0),
        (903, 1, 1930, 1, 1, 1935, 6, 1, 1, 2, 0, 1),
        (903, 5, 1930, 1, 1, 1935, 6, 1, 1, 2, 0, 1),
        (903, 1, 1935, 6, 1, 0, 0, 0, 2, 2, 1, 1),
        (903, 5, 1935, 6, 1, 0, 0, 0, 2, 2, 1, 1),
        (904, 7, 1940, 2, 1, 0, 0, 0, 0, 0, 1, 0),
        (904, 9, 1940, 2, 1, 0, 0, 0, 0, 0, 1, 0),
        (904, 1, 1940, 8, 1, 0, 0, 0, 0, 0, 1, 0),
        (905, 1, 1940, 4, 1, 0, 0, 0, 0, 0, 0, 0),
        (905, 7, 1940, 4, 1, 0, 0, 0, 0, 0, 1, 0),
        (906, 1, 1950, 1, 1, 0, 0, 0, 0, 0, 0, 1),
        (906, 8, 1950, 1, 1, 0, 0, 0, 0, 0, 0, 1),
    ]
    m = pd.DataFrame([r[:10] for r in rows], columns=cols).assign(
        defense=[r[10] for r in rows], offense=0, neutral=0, nonagg=[r[11] for r in rows], consul=0
    )
    begin = {901: (1900, 3), 902: (1910, 5), 903: (1930, 1), 904: (1940, 2), 905: (1940, 4), 906: (1950, 1)}
    a = pd.DataFrame(
        [(i, y, mo, 1, 0, 0, 0) for i, (y, mo) in begin.items()],
        columns=["atopid", "begyr", "begmo", "begday", "endyr", "bilat", "wartime"],
    )
    a = a.assign(**{o: m.groupby("atopid")[o].max().to_numpy() for o in tr.OBLIGATIONS})
    return m, a


def test_match_onsets_constructed():
    m, a = constructed()
    t = tr.build_treaty_table(m, a)
    panel = onset_panel(
        [
            (1, 2, 1900, "a"),  # exact, both original
            (1, 3, 1911, "a"),  # off by one year
            (1, 4, 1920, "a"),  # no treaty
            (1, 6, 1905, "b"),  # exact, 6 adhered
            (1, 5, 1935, "b"),  # a phase adds defence
            (7, 1, 1940, "b"),  # two candidates: 7 original in both, both hold defence only in 904 -> 904
            (1, 7, 1940, "b"),  # 1 original only in 905 -> 905
            (1, 8, 1950, "b"),  # members, no defence
            (1, 2, 1960, "b"),  # members with defence since 1900
            (1, 3, 1940, "b"),  # defence ended in 1930
            (1, 2, 2017, "b"),  # after 4.01
        ]
    )
    r = tr.match_onsets(panel, t, members=m).set_index(["ccode1", "ccode2", "year"])
    assert list(r.reset_index().columns) == tr.MATCH_COLUMNS and (r.obligation == "defense").all()
    assert r.atopid.tolist()[:7] == [901, 902, pd.NA, 901, 903, 904, 905]
    assert r.atopid.iloc[7:].isna().all()
    assert r.match.tolist()[:7] == ["exact", "off by one year", "unmatched", "exact", "exact", "exact", "exact"]
    assert r.n_candidates.tolist() == [1, 1, 0, 1, 1, 2, 2, 0, 0, 0, 0]
    assert r.loc[(1, 6, 1905), ["original1", "original2", "adhesion"]].tolist() == [True, False, True]
    assert r.loc[(1, 2, 1900), "adhesion"] == False  # noqa: E712
    assert r.loc[(1, 5, 1935), "adhesion"] == False  # noqa: E712  (a phase, not an adhesion)
    assert r.loc[(7, 1, 1940), ["original1", "original2", "adhesion"]].tolist() == [True, False, True]
    assert pd.isna(r.loc[(1, 4, 1920), "original1"])
    assert r.reason.tolist() == [
        "", "", tr.REASON_NO_TREATY, "", "", "", "",
        tr.REASON_NO_OBLIGATION, tr.REASON_YEARS, tr.REASON_NOT_IN_FORCE, tr.REASON_COVERAGE,
    ]  # fmt: skip
    # without the phase rows a member is one spell from entry to exit: the 1935 phase start is invisible
    r0 = tr.match_onsets(panel, t).set_index(["ccode1", "ccode2", "year"])
    assert r0.loc[(1, 5, 1935), "reason"] == tr.REASON_YEARS
    pd.testing.assert_frame_equal(r0.drop(index=[(1, 5, 1935)]), r.drop(index=[(1, 5, 1935)]))

    meta = tr.match_meta(r.reset_index())
    d = meta["defense"]
    assert (d["onsets"], d["exact"], d["off_by_one"], d["unmatched"], d["adhesion_onsets"]) == (11, 5, 1, 5, 2)
    assert d["by_era"]["a"] == {"onsets": 3, "matched": 2, "share_matched": round(2 / 3, 4)}
    assert sum(d["unmatched_by_reason"].values()) == 5
    yaml.safe_dump(meta)  # plain Python only


def test_match_onsets_any_and_bad_panel():
    m, a = constructed()
    t = tr.build_treaty_table(m, a)
    panel = onset_panel([(1, 8, 1950, "x"), (1, 5, 1930, "x")], obligation="any")
    r = tr.match_onsets(panel, t, obligations=("any",), members=m)
    assert r.atopid.tolist() == [906, 903] and (r.match == "exact").all()
    with pytest.raises(ValueError, match="atop_defense_onset"):
        tr.match_onsets(panel.drop(columns="atop_defense_onset"), t)


# --------------------------------------------------------------------------- onset matching, real USSR dyads


def test_match_onsets_real_ussr(raw, table):
    members, alliances = raw
    beg = alliances.set_index("atopid").begyr
    su = set(members.atopid[members.member == USSR])
    started = members.assign(begyr=members.atopid.map(beg))
    # the Warsaw Pact (3285) members, and the adhesions to 2550, where no other 4.01 treaty of the two begins then
    warsaw = sorted(set(members.member[members.atopid == 3285]) - {USSR})
    un = members[(members.atopid == 2550) & (members.yrent > 1942)]
    other = started[started.atopid.isin(su - {2550}) & (started.member != USSR)]
    clash = set(zip(other.member, other.yrent)) | set(zip(other.member, other.begyr))
    adherents = [(x, y) for x, y in zip(un.member, un.yrent) if (x, y) not in clash]
    alone = sorted(set(members.member) - set(members.member[members.atopid.isin(su)]))
    rows = [(USSR, x, 1955, "soviet") for x in warsaw] + [(USSR, x, y, "soviet") for x, y in adherents]
    rows += [(USSR, 712, 1937, "soviet"), (USSR, 2, 1944, "soviet"), (USSR, 2, 1950, "soviet")]
    rows += [(USSR, alone[0], 1960, "soviet")]
    r = tr.match_onsets(onset_panel(rows), table, members=members)
    # France 1944: the Franco-Soviet treaty (2575, 10 Dec) and France's adhesion to 2550 (26 Dec) tie on every
    # rule but the atopid, so the smaller one (2550) wins and n_candidates shows the tie
    fr = tr.match_onsets(onset_panel([(USSR, 220, 1944, "soviet")]), table, members=members).iloc[0]
    assert (fr.atopid, fr.n_candidates, fr.adhesion) == (2550, 2, True)

    w = r.iloc[: len(warsaw)]
    assert (w.atopid == 3285).all() and (w.match == "exact").all() and w.original2.all() and not w.adhesion.any()
    u = r.iloc[len(warsaw) : len(warsaw) + len(adherents)]
    assert len(u) > 0 and (u.atopid == 2550).all() and (u.match == "exact").all()
    assert u.original1.all() and not u.original2.any() and u.adhesion.all()
    tail = r.iloc[-4:]
    assert tail.atopid.iloc[0] == 2370 and tail["match"].iloc[0] == "off by one year"
    assert tail.reason.iloc[1:].tolist() == [tr.REASON_YEARS, tr.REASON_NOT_IN_FORCE, tr.REASON_NO_TREATY]


def test_match_onsets_on_built_panel(raw, table):
    path = ROOT / "data" / "processed" / "dyad_year_ussr.parquet"
    if not path.is_file():
        pytest.skip(f"{path} not built")
    members = raw[0]
    panel = pd.read_parquet(path, columns=["ccode1", "ccode2", "year", "era", "atop_defense_onset", "atop_any_onset"])
    r = tr.match_onsets(panel, table, members=members)
    for ob in ("defense", "any"):
        assert (r.obligation == ob).sum() == (panel[f"atop_{ob}_onset"] == 1).sum()
    hit = r[r.atopid.notna()].astype({"atopid": "int64"})
    pairs = set(zip(members.atopid, members.member))
    assert all((i, a) in pairs and (i, b) in pairs for i, a, b in zip(hit.atopid, hit.ccode1, hit.ccode2))
    assert (hit.reason == "").all() and (r[r.atopid.isna()].reason != "").all()
    meta = tr.match_meta(r)
    assert (
        meta["defense"]["onsets"]
        == meta["defense"]["exact"] + meta["defense"]["off_by_one"] + meta["defense"]["unmatched"]
    )


def test_treaty_meta(raw, table):
    members, alliances = raw
    meta = tr.treaty_meta(table)
    assert meta["treaties"] == alliances.atopid.nunique()
    assert meta["rows"] == len(members[["atopid", "member"]].drop_duplicates())
    assert meta["original_rows"] + meta["adhesion_rows"] == meta["rows"]
    assert meta["years_covered"] == [int(alliances.begyr.min()), tr.ATOP4_LAST_YEAR]
    yaml.safe_dump(meta)

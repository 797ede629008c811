"""ATOP 4.01 treaty table and the treaty behind each ATOP 5.1 dyad-year onset.

Sources: the ATOP 4.01 member-level file (one row per treaty, member and
phase) and alliance-level file (one row per treaty). Rules, checked on the
real files:

Dates. A date is compared as ``year * 10000 + month * 100 + day``. A missing
day (5 member entries, 1 treaty begin: treaty 1115 and its members) is coded
0 ("day unknown") in the ``*_day`` columns, so a member whose entry day and
the treaty's begin day are both unknown in the same month is an original
signatory. An exit year of 0 (and an alliance ``endyr`` of 0) means "still in
force" and becomes NaN.

Phases. ``phase`` 0 means a one-phase treaty; 1, 2, ... are the member's rows
in successive phases (obligations may change between phases). A member may
also have two rows in one phase (re-admission, e.g. Egypt in the Arab League
treaties 3015 and 3205). A member's entry is its earliest entry over its
rows, its exit the latest exit (NaN if any row is still in force), and it
holds an obligation if it holds it in any row.

Original signatory. A member is original when its earliest entry date equals
the treaty's begin date (``begyr/begmo/begday``), otherwise it joined by
adhesion. Every 4.01 treaty has at least two originals by this rule and no
member enters before the begin date, so this is ATOP's own notion of the
treaty's founding members. Treaty 2550 (Declaration by United Nations,
1 Jan 1942) has 25 originals, not the historical 26: India was not a COW
state in 1942 and is not a member in ATOP.

Renewal. Treaty T renews an earlier treaty S (S begins on an earlier date)
when S's set of original members equals T's and S was in force in T's
signing year or ended at most one year before it (S has no end year, or
``S.endyr >= T.begyr - 1``). If several S qualify, the latest begin date
wins. A renewal inside one treaty is a phase, not a new atopid (the
1946 USSR-Mongolia protocol is phase 2 of treaty 2370; 3535 (1966) renews
2370); the 1943 USSR-Czechoslovakia treaty (2563) renews nothing because
the 1935 pact (2365) ended in 1938. The rule is obligation-blind, so it
also links a replacement treaty to its predecessor between the same states.

Onset matching (:func:`match_onsets`). For a directed dyad (c1, c2) and an
ATOP 4.01 treaty, the two members' rows of the same phase are paired; a
pair is a joint spell from the later entry to the earlier exit (kept when
they overlap). A spell counts for an obligation when either state holds it
in that phase (``any``: any of the five). A spell starts a joint
obligation when no earlier counting spell of the same treaty and dyad is
still running at its start: the first joint entry (the later of the two
members' entries), the start of a phase that adds the obligation, or a
re-admission after a gap. Each 5.1 onset is matched to a treaty with such a
start in the onset year ("exact") or else one year before or after ("off by
one year"); ties go to the treaty where ccode1 is an original signatory,
then where both hold the obligation, then the smallest atopid.
``n_candidates`` counts the distinct treaties in the winning tier.
``adhesion`` is true when the matched start is the entry of a state that is
not an original signatory. An unmatched onset gets the first reason that
applies: after 4.01 coverage; no treaty with both as members; both members
of some treaty but never jointly under one with the obligation; no such
joint spell in force within a year of the onset (a treaty 5.1 added); else a
joint spell is in force but its start is more than a year away (5.1 revised
the entry dates: a version difference).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import SourceFormatError

OBLIGATIONS = ("defense", "offense", "neutral", "nonagg", "consul")
MEMBER_COLUMNS = ("atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "phase", "maxphase")
ALLIANCE_COLUMNS = ("atopid", "begyr", "begmo", "begday", "endyr", "bilat", "wartime")
ATOP4_LAST_YEAR = 2016  # last year covered by ATOP 4.01 (latest begin and entry year in the files)
OPEN = 99_999_999  # date key of "still in force"
KEY = ["ccode1", "ccode2"]

REASON_COVERAGE = f"onset after 4.01 coverage ({ATOP4_LAST_YEAR})"
REASON_NO_TREATY = "no 4.01 treaty with both states as members"
REASON_NO_OBLIGATION = "both are members but never jointly under a treaty with this obligation"
REASON_NOT_IN_FORCE = "both are members but no treaty with this obligation joins them within a year of the onset"
REASON_YEARS = "both are members but entry years differ by more than one year (version difference)"

# fmt: off
TABLE_COLUMNS = [
    "atopid", "member", "signed_year", "signed_month", "signed_day", "entry_year", "entry_month", "entry_day",
    "exit_year", "original", "adhesion", "bilateral", "n_members", "n_original", *OBLIGATIONS,
    *(f"treaty_{o}" for o in OBLIGATIONS), "any_obligation", "wartime", "renews", "renewal", "end_year",
]
MATCH_COLUMNS = [
    "ccode1", "ccode2", "year", "era", "obligation", "atopid", "match", "n_candidates",
    "original1", "original2", "adhesion", "reason",
]
# fmt: on


class AtopFormatError(SourceFormatError, ValueError):
    """An ATOP 4.01 file lacks a column (a ValueError and a SourceFormatError)."""


def read_atop4(members_path: str | os.PathLike, alliances_path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the member- and alliance-level files; raise naming the file and column if one is missing."""
    out = []
    for path, cols in ((members_path, MEMBER_COLUMNS), (alliances_path, ALLIANCE_COLUMNS)):
        df = pd.read_csv(path, low_memory=False)
        missing = [c for c in (*cols, *OBLIGATIONS) if c not in df.columns]
        if missing:
            raise AtopFormatError(f"'{path}': missing column(s) {', '.join(map(repr, missing))}")
        out.append(df.copy())  # read_csv leaves one block per column; copy() consolidates them
    return out[0], out[1]


def _day(day: pd.Series) -> pd.Series:
    return day.fillna(0).astype("int64")


def _date(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    return year.astype("int64") * 10_000 + month.astype("int64") * 100 + _day(day)


def _member_rows(members: pd.DataFrame) -> pd.DataFrame:
    """Member rows with int64 date keys ``ent``/``ext`` (OPEN when in force) and 0/1 obligations incl. ``any``."""
    m = members.loc[:, [*MEMBER_COLUMNS, *OBLIGATIONS]].copy()
    m[list(OBLIGATIONS)] = m[list(OBLIGATIONS)].fillna(0).astype("int64").clip(0, 1)
    m["any"] = m[list(OBLIGATIONS)].max(axis=1)
    m["ent"] = _date(m.yrent, m.moent, m.dayent)
    m["ext"] = _date(m.yrexit, m.moexit, m.dayexit).where(m.yrexit != 0, OPEN)
    return m.astype({"atopid": "int64", "member": "int64", "phase": "int64"})


def _renewals(treaty: pd.DataFrame) -> pd.Series:
    """atopid -> the earlier treaty it renews (Int64, <NA> if none); ``treaty`` has atopid, beg, begyr, endyr, key."""
    pairs = treaty.merge(treaty, on="key", suffixes=("", "_s"))
    s_end = pairs.endyr_s.where(pairs.endyr_s != 0, np.inf)
    pairs = pairs[(pairs.beg_s < pairs.beg) & (s_end >= pairs.begyr - 1)]
    latest = pairs.sort_values(["atopid", "beg_s", "atopid_s"]).drop_duplicates("atopid", keep="last")
    return latest.set_index("atopid").atopid_s.reindex(treaty.atopid).astype("Int64")


def build_treaty_table(members: pd.DataFrame, alliances: pd.DataFrame) -> pd.DataFrame:
    """One row per (atopid, member) with dates, original/adhesion, obligations and renewal (module docstring)."""
    m = _member_rows(members)
    a = alliances.loc[:, [*ALLIANCE_COLUMNS, *OBLIGATIONS]].copy()
    unknown = sorted(set(m.atopid) - set(a.atopid))
    if unknown:
        raise ValueError(f"member-level treaties absent from the alliance-level file: {unknown[:10]}")
    a["beg"] = _date(a.begyr, a.begmo, a.begday)

    first = m.sort_values(["atopid", "member", "ent"]).drop_duplicates(["atopid", "member"])
    t = first[["atopid", "member", "yrent", "moent", "dayent", "ent"]].reset_index(drop=True)
    g = m.groupby(["atopid", "member"], sort=True)
    held = g[list(OBLIGATIONS)].max().reset_index()
    ext = g.yrexit.max().astype("float64").where(~m.yrexit.eq(0).groupby([m.atopid, m.member]).any())
    t = t.merge(held, on=["atopid", "member"]).merge(ext.rename("exit_year").reset_index(), on=["atopid", "member"])
    t = t.merge(a, on="atopid", how="left", suffixes=("", "_treaty"))

    t["original"] = t.ent == t.beg
    t["adhesion"] = ~t.original
    t["n_members"] = t.groupby("atopid").member.transform("size").astype("int64")
    t["n_original"] = t.groupby("atopid").original.transform("sum").astype("int64")

    orig = t[t.original].groupby("atopid").member.agg(lambda s: ",".join(map(str, sorted(s)))).rename("key")
    treaty = a[["atopid", "beg", "begyr", "endyr"]].merge(orig, on="atopid")
    t["renews"] = t.atopid.map(_renewals(treaty)).astype("Int64")

    out = pd.DataFrame(
        {
            "atopid": t.atopid.astype("int64"),
            "member": t.member.astype("int64"),
            "signed_year": t.begyr.astype("int64"),
            "signed_month": t.begmo.astype("int64"),
            "signed_day": _day(t.begday),
            "entry_year": t.yrent.astype("int64"),
            "entry_month": t.moent.astype("int64"),
            "entry_day": _day(t.dayent),
            "exit_year": t.exit_year.astype("float64"),
            "original": t.original.astype(bool),
            "adhesion": t.adhesion.astype(bool),
            "bilateral": t.bilat.eq(1),
            "n_members": t.n_members,
            "n_original": t.n_original,
            **{o: t[o].astype("int64") for o in OBLIGATIONS},
            **{f"treaty_{o}": t[f"{o}_treaty"].fillna(0).astype("int64") for o in OBLIGATIONS},
            "any_obligation": t[list(OBLIGATIONS)].max(axis=1).astype("int64"),
            "wartime": t.wartime.eq(1),
            "renews": t.renews,
            "renewal": t.renews.notna().to_numpy(bool),
            "end_year": t.endyr.where(t.endyr != 0).astype("float64"),
        }
    )
    return out.sort_values(["atopid", "member"]).reset_index(drop=True)[TABLE_COLUMNS]


def _spell_rows(treaties: pd.DataFrame, members: pd.DataFrame | None) -> pd.DataFrame:
    """Membership rows (atopid, member, phase, ent, ext, obligations, any): the member-level phase rows when
    ``members`` is given, else one row per (atopid, member) of the table from entry to exit."""
    if members is not None:
        return _member_rows(members)
    t = treaties
    ext = (t.exit_year.fillna(0).astype("int64") * 10_000 + 1231).where(t.exit_year.notna(), OPEN)
    rows = t[["atopid", "member", *OBLIGATIONS]].astype("int64")
    rows = rows.assign(phase=0, ent=_date(t.entry_year, t.entry_month, t.entry_day), ext=ext)
    return rows.assign(any=rows[list(OBLIGATIONS)].max(axis=1))


def _joint(dyads: pd.DataFrame, rows: pd.DataFrame, obligation: str) -> pd.DataFrame:
    """Joint spells of each dyad under each treaty in which either state holds ``obligation``: same-phase row pairs
    from the later entry to the earlier exit (date keys ``start``, ``end``), sorted, with ``both`` = both hold it."""
    keep = ["atopid", "member", "phase", "ent", "ext", obligation]
    j = dyads.merge(rows[keep].rename(columns={"member": "ccode1"}), on="ccode1")
    j = j.merge(rows[keep].rename(columns={"member": "ccode2"}), on=["atopid", "phase", "ccode2"], suffixes=("1", "2"))
    o1, o2 = j[f"{obligation}1"] == 1, j[f"{obligation}2"] == 1
    j = j.assign(start=np.maximum(j.ent1, j.ent2), end=np.minimum(j.ext1, j.ext2), both=o1 & o2)
    j = j[(o1 | o2) & (j.start <= j.end)]
    return j.sort_values([*KEY, "atopid", "start"])[[*KEY, "atopid", "start", "end", "both"]]


def _starts(joint: pd.DataFrame, treaties: pd.DataFrame) -> pd.DataFrame:
    """The joint spells that start a joint obligation (no earlier spell of the same treaty and dyad still running),
    with the start year, the tie-break flags and ``adhesion``."""
    group = [*KEY, "atopid"]
    running = joint.assign(cm=joint.groupby(group).end.cummax()).groupby(group).cm.shift()
    j = joint[running.isna() | (running < joint.start)]
    info = treaties[["atopid", "member", "original"]].assign(
        first=_date(treaties.entry_year, treaties.entry_month, treaties.entry_day)
    )
    for i in ("1", "2"):
        names = {"member": f"ccode{i}", "original": f"original{i}", "first": f"first{i}"}
        j = j.merge(info.rename(columns=names), on=["atopid", f"ccode{i}"], how="left")
    adhesion = (~j.original1.astype(bool) & (j.start == j.first1)) | (~j.original2.astype(bool) & (j.start == j.first2))
    j = j.assign(start_year=j.start // 10_000, adhesion=adhesion)
    return j[[*KEY, "atopid", "start_year", "both", "original1", "original2", "adhesion"]]


def match_onsets(
    panel: pd.DataFrame,
    treaties: pd.DataFrame,
    obligations=("defense", "any"),
    *,
    members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ATOP 4.01 treaty behind each onset of each obligation in a directed dyad-year panel.

    ``panel`` needs ccode1, ccode2, year, era and ``atop_{obligation}_onset`` (1 = onset); ``treaties`` is
    :func:`build_treaty_table`'s output. Pass the raw member-level frame as ``members`` to also match onsets that
    start with a later phase adding the obligation or with a re-admission; without it each member is one spell
    from its first entry to its last exit. Returns one row per onset (``MATCH_COLUMNS``), obligations in the
    order given, panel order within each.
    """
    unknown = [o for o in obligations if o not in (*OBLIGATIONS, "any")]
    need = [*KEY, "year", "era", *(f"atop_{o}_onset" for o in obligations)]
    missing = [c for c in need if c not in panel.columns]
    if unknown or missing:
        raise ValueError(f"match_onsets: unknown obligation(s) {unknown}, panel lacks column(s) {missing}")
    rows = _spell_rows(treaties, members)
    pairs_of = rows[["atopid", "member"]].drop_duplicates()
    out = []
    for ob in obligations:
        on = panel.loc[panel[f"atop_{ob}_onset"].to_numpy("float64") == 1, [*KEY, "year", "era"]]
        on = on.astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"}).reset_index(drop=True)
        on["row"] = np.arange(len(on))
        dyads = on[KEY].drop_duplicates()
        joint = _joint(dyads, rows, ob)
        starts = _starts(joint, treaties)
        shared = dyads.merge(pairs_of.rename(columns={"member": "ccode1"})).merge(
            pairs_of.rename(columns={"member": "ccode2"})
        )
        cand = on[[*KEY, "year", "row"]].merge(starts, on=KEY)
        cand = cand.assign(tier=(cand.start_year - cand.year).abs())
        cand = cand[cand.tier <= 1]
        best_tier = cand.groupby("row").tier.transform("min")
        cand = cand[cand.tier == best_tier]
        n_cand = cand.groupby("row").atopid.nunique()
        cand = cand.assign(o1=~cand.original1.astype(bool), nb=~cand.both)
        best = cand.sort_values(["row", "o1", "nb", "atopid"]).drop_duplicates("row").set_index("row")
        res = on.join(best[["atopid", "tier", "original1", "original2", "adhesion"]], on="row")
        matched = res.atopid.notna()
        pairs = pd.MultiIndex.from_frame(res[KEY])
        in_shared = pairs.isin(pd.MultiIndex.from_frame(shared[KEY]))
        with_ob = pairs.isin(pd.MultiIndex.from_frame(joint[KEY]))
        near = on[[*KEY, "year", "row"]].merge(joint, on=KEY)
        near = near[(near.start // 10_000 <= near.year + 1) & (near.end // 10_000 >= near.year - 1)]
        in_force = res.row.isin(near.row)
        reason = np.select(
            [matched, res.year > ATOP4_LAST_YEAR, ~in_shared, ~with_ob, ~in_force],
            ["", REASON_COVERAGE, REASON_NO_TREATY, REASON_NO_OBLIGATION, REASON_NOT_IN_FORCE],
            REASON_YEARS,
        )
        out.append(
            pd.DataFrame(
                {
                    "ccode1": res.ccode1,
                    "ccode2": res.ccode2,
                    "year": res.year,
                    "era": res.era,
                    "obligation": ob,
                    "atopid": res.atopid.astype("Int64"),
                    "match": np.select([res.tier == 0, res.tier == 1], ["exact", "off by one year"], "unmatched"),
                    "n_candidates": res.row.map(n_cand).fillna(0).astype("int64"),
                    "original1": res.original1.astype("boolean"),
                    "original2": res.original2.astype("boolean"),
                    "adhesion": res.adhesion.fillna(False).astype(bool),
                    "reason": reason,
                }
            )
        )
    return pd.concat(out, ignore_index=True)[MATCH_COLUMNS]


def match_meta(matches: pd.DataFrame) -> dict:
    """Plain-Python counts of :func:`match_onsets` output per obligation and era, for a YAML meta file."""
    meta = {}
    for ob, g in matches.groupby("obligation", sort=False):
        matched = g["match"] != "unmatched"
        eras = {}
        for era, e in g.groupby("era", sort=True):
            n, k = len(e), int((e["match"] != "unmatched").sum())
            eras[str(era)] = {"onsets": n, "matched": k, "share_matched": round(k / n, 4)}
        reasons = g.loc[~matched, "reason"].value_counts()
        meta[str(ob)] = {
            "onsets": len(g),
            "exact": int((g["match"] == "exact").sum()),
            "off_by_one": int((g["match"] == "off by one year").sum()),
            "unmatched": int((~matched).sum()),
            "unmatched_by_reason": {str(r): int(n) for r, n in reasons.items()},
            "by_era": eras,
            "adhesion_onsets": int(g["adhesion"].sum()),
        }
    return meta


def treaty_meta(treaties: pd.DataFrame) -> dict:
    """Plain-Python counts of :func:`build_treaty_table` output, for a YAML meta file."""
    per_treaty = treaties.drop_duplicates("atopid")
    return {
        "treaties": int(per_treaty.atopid.nunique()),
        "rows": len(treaties),
        "original_rows": int(treaties.original.sum()),
        "adhesion_rows": int(treaties.adhesion.sum()),
        "renewals": int(per_treaty.renewal.sum()),
        "years_covered": [int(treaties.signed_year.min()), int(treaties[["signed_year", "entry_year"]].max().max())],
    }

"""Benchmark: the global directed dyad-year panel (~1.9 million rows, every column).

    .venv/bin/python bench/bench_panel.py [--years 1816 2016] [--repeat 1]

Runs two builds, each in its own subprocess so that peak RSS is measured
separately:

- ``package``: ``alliance_models.data.panel.build_dyad_year`` (pandas + numpy:
  one int64 key per dyad-year, ``searchsorted`` lookups, columns added by one
  concat per source);
- ``naive``: the same columns built with plain ``DataFrame.merge`` on
  (ccode1, ccode2, year) and ``groupby`` for the alliance clock, as one would
  write it first.

Each prints source read time, build time and peak RSS (``ru_maxrss``); the
parent prints both and their ratio, and checks that the two agree on the
column sums. Sources come from the mirror (../shared/data); state_year from
data/processed/state_year.parquet when it exists, else a minimal one built
from the mirror by tests/unit/_state_year_fixture.py. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data"
PS = MIRROR / "peacesciencer"
CHECK = [
    "atop_any",
    "atop_any_onset",
    "atop_defense_end",
    "atop_since_onset",
    "cinc_prop",
    "milex_ratio",
    "mid_prior_count",
    "mid_prior_init2",
    "tss_rival",
    "td_rival",
    "conttype",
    "mindist",
    "major2",
    "terrthreat1",
    "common_mid_states",
    "common_mid_max_cinc",
    "common_rival",
]


def _read():
    import pandas as pd
    import pyreadr

    sys.path.insert(0, str(ROOT / "workflow"))
    r = {
        n: pyreadr.read_r(str(PS / f"{n}.rda"))[n]
        for n in (
            "cow_ddy",
            "atop_alliance",
            "cow_contdir",
            "cow_mindist",
            "cow_mid_dirdisps",
            "tss_rivalries",
            "td_rivalries",
            "terrthreat",
            "cow_majors",
        )
    }
    sy_path = ROOT / "data" / "processed" / "state_year.parquet"
    if sy_path.exists():
        r["state_year"] = pd.read_parquet(sy_path)
        r["state_year_from"] = str(sy_path)
    else:
        sys.path.insert(0, str(ROOT / "tests" / "unit"))
        from _state_year_fixture import build_state_year

        r["state_year"] = build_state_year(MIRROR)
        r["state_year_from"] = "tests/unit/_state_year_fixture.py (mirror)"
    return r


def build_package(r, years):
    from alliance_models.data import panel

    return panel.build_dyad_year(
        "all",
        r["cow_ddy"],
        r["atop_alliance"],
        r["state_year"],
        r["cow_contdir"],
        r["cow_mindist"],
        r["cow_mid_dirdisps"],
        r["tss_rivalries"],
        r["terrthreat"],
        r["cow_majors"],
        td=r["td_rivalries"],
        years=years,
        mid_source="cow",
        threat_window=5,
    )


def build_naive(r, years, window=5):
    """Same semantics as the package, written with DataFrame.merge."""
    import numpy as np
    import pandas as pd

    K = ["ccode1", "ccode2", "year"]
    start, end = years
    ints = lambda d, cols: d.astype({c: "int64" for c in cols})  # noqa: E731

    def span(d, a, b):
        d = d.assign(year=[list(range(int(s), int(e) + 1)) for s, e in zip(d[a], d[b])]).explode("year")
        return d.astype({"year": "int64"})

    ddy = ints(r["cow_ddy"], K)
    df = ddy[(ddy.year <= end)].sort_values(K).reset_index(drop=True)

    # ATOP, non-directed: either direction's obligation
    types = ["atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consul"]
    a = ints(r["atop_alliance"], K + types)
    rev = a.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})
    a = pd.concat([a, rev]).groupby(K, as_index=False)[types].max()
    a["atop_any"] = a[types].max(axis=1)
    allc = types + ["atop_any"]
    df = df.merge(a, on=K, how="left")
    inside = df.year.between(1815, 2018)
    df.loc[inside, allc] = df.loc[inside, allc].fillna(0)
    for shift, suffix in ((1, "prev"), (-1, "next")):
        s = a.assign(year=a.year + shift).rename(columns={c: f"{c}_{suffix}" for c in allc})
        df = df.merge(s, on=K, how="left")
        ok = (df.year - shift).between(1815, 2018)
        cols = [f"{c}_{suffix}" for c in allc]
        df.loc[ok, cols] = df.loc[ok, cols].fillna(0)
    for c in allc:
        df[f"{c}_onset"] = np.where(df[c] == 1, 1 - df[f"{c}_prev"], np.where(df[c].isna(), np.nan, 0))
        df[f"{c}_end"] = np.where(df[c] == 1, 1 - df[f"{c}_next"], np.where(df[c].isna(), np.nan, 0))
    df = df.drop(columns=[f"{c}_{s}" for c in allc for s in ("prev", "next")])
    g = df.groupby(["ccode1", "ccode2"])
    last = df["year"].where(df["atop_any_onset"] == 1)
    df["_last"] = last.groupby([df.ccode1, df.ccode2]).shift(1)
    df["_last"] = df.groupby(["ccode1", "ccode2"])["_last"].ffill()
    df["_entry"] = g["year"].transform("min")
    df["atop_since_onset"] = df.year - df["_last"].fillna(df["_entry"])
    df.loc[df.atop_any_onset.isna(), "atop_since_onset"] = np.nan
    df["atop_since_onset_sq"] = df.atop_since_onset**2
    df["atop_since_onset_cu"] = df.atop_since_onset**3
    df = df.drop(columns=["_last", "_entry"])
    df = df[df.year >= start].reset_index(drop=True)

    # capabilities
    sy = r["state_year"][["ccode", "year", "cinc", "gdp", "milex", "tpop"]]
    for i in ("1", "2"):
        df = df.merge(
            sy.rename(columns={"ccode": f"ccode{i}", **{c: f"{c}{i}" for c in ("cinc", "gdp", "milex", "tpop")}}),
            on=[f"ccode{i}", "year"],
            how="left",
        )
    for c in ("cinc", "gdp", "milex"):
        ok = (df[f"{c}1"] > 0) & (df[f"{c}2"] > 0)
        df[f"{c}_ratio"] = (df[f"{c}1"] / df[f"{c}2"]).where(ok)
        df[f"log_{c}_ratio"] = np.log(df[f"{c}_ratio"])
    lo, hi = df[["cinc1", "cinc2"]].min(axis=1), df[["cinc1", "cinc2"]].max(axis=1)
    df["cinc_prop"] = lo / hi
    df["bremer_cat"] = pd.cut(hi / lo, [0, 3, 10, np.inf], labels=["parity", "medium", "preponderance"])

    # MIDs between the two, window t-5 .. t-1
    m = ints(r["cow_mid_dirdisps"], ["dispnum", "ccode1", "ccode2", "year", "sidea2", "orig2", "hostlev1", "hostlev2"])
    m["host"] = m[["hostlev1", "hostlev2"]].max(axis=1)
    m = pd.concat([m.assign(year=m.year + k) for k in range(1, window + 1)])
    agg = m.groupby(K).agg(mid_prior_count=("dispnum", "nunique"), mid_prior_hostlev=("host", "max")).reset_index()
    ini = m[(m.sidea2 == 1) & (m.orig2 == 1)]
    agg2 = (
        ini.groupby(K)
        .agg(mid_prior_init2=("dispnum", "nunique"), mid_prior_init2_hostlev=("host", "max"))
        .reset_index()
    )
    df = df.merge(agg, on=K, how="left").merge(agg2, on=K, how="left")
    mcols = ["mid_prior_count", "mid_prior_hostlev", "mid_prior_init2", "mid_prior_init2_hostlev"]
    df[mcols] = df[mcols].fillna(0)
    df["mid_prior"] = (df.mid_prior_count > 0).astype(float)
    df.loc[~df.year.between(1817, 2015), mcols + ["mid_prior"]] = np.nan

    # rivalries (both directions; Austria 300 -> 305 from 1919)
    def rivalry_years(t, a, b, cols):
        t = ints(t, ["ccode1", "ccode2", a, b])
        y = span(t, a, b)
        y = pd.concat([y, y.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})])
        for c in ("ccode1", "ccode2"):
            y.loc[(y[c] == 300) & (y.year >= 1919), c] = 305
        return y[K + cols].fillna(0).groupby(K, as_index=False).max()

    tt = ["positional", "spatial", "ideological", "interventionary"]
    tss = rivalry_years(r["tss_rivalries"], "start", "end", tt).assign(tss_rival=1.0)
    df = df.merge(tss.rename(columns={c: f"tss_{c}" for c in tt}), on=K, how="left")
    tcols = ["tss_rival"] + [f"tss_{c}" for c in tt]
    df[tcols] = df[tcols].fillna(0)
    td = rivalry_years(r["td_rivalries"], "styear", "endyear", []).assign(td_rival=1.0)
    df = df.merge(td, on=K, how="left")
    df["td_rival"] = df["td_rival"].fillna(0).where(df.year <= 2010)

    # contiguity: closest type in any month of the year
    c = r["cow_contdir"]
    c = c.assign(st=pd.to_datetime(c.stdate).dt.year, en=pd.to_datetime(c.enddate).dt.year)
    c = span(ints(c[c.conttype > 0], ["ccode1", "ccode2", "conttype"]), "st", "en")
    df = df.merge(c.groupby(K, as_index=False)["conttype"].min(), on=K, how="left")
    df["conttype"] = df["conttype"].fillna(0).where(df.year.between(1816, 2016))

    # minimum distance (non-directed source)
    md = ints(r["cow_mindist"], K)
    md = pd.concat([md, md.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})])
    df = df.merge(md, on=K, how="left")

    # majors, territorial threat
    mj = ints(r["cow_majors"], ["ccode", "styear", "endyear"])
    mj.loc[mj.endyear == 2016, "endyear"] = 2022
    mj = span(mj, "styear", "endyear")[["ccode", "year"]].drop_duplicates().assign(major=1.0)
    tr = ints(r["terrthreat"], ["ccode", "year"])[["ccode", "year", "lterrthreat"]]
    for i in ("1", "2"):
        df = df.merge(
            mj.rename(columns={"ccode": f"ccode{i}", "major": f"major{i}"}), on=[f"ccode{i}", "year"], how="left"
        )
        df[f"major{i}"] = df[f"major{i}"].fillna(0)
        df = df.merge(
            tr.rename(columns={"ccode": f"ccode{i}", "lterrthreat": f"terrthreat{i}"}),
            on=[f"ccode{i}", "year"],
            how="left",
        )

    # common threat
    adj = pd.concat([m[["ccode1", "ccode2", "year"]]]).drop_duplicates()
    adj.columns = ["i", "k", "year"]
    p = adj.merge(adj, on=["k", "year"], suffixes=("1", "2"))
    p = p[p.i1 != p.i2]
    p = p.merge(
        sy[["ccode", "year", "cinc"]].assign(year=sy.year + 1),
        left_on=["k", "year"],
        right_on=["ccode", "year"],
        how="left",
    )
    cm = p.groupby(["i1", "i2", "year"]).agg(common_mid_states=("k", "size"), common_mid_max_cinc=("cinc", "max"))
    cm = cm.reset_index().rename(columns={"i1": "ccode1", "i2": "ccode2"})
    df = df.merge(cm, on=K, how="left")
    df["common_mid_states"] = df["common_mid_states"].fillna(0)
    df.loc[~df.year.between(1817, 2015), ["common_mid_states", "common_mid_max_cinc"]] = np.nan
    rv = tss[K].rename(columns={"ccode1": "i", "ccode2": "k"})
    rp = rv.merge(rv, on=["k", "year"], suffixes=("1", "2"))
    rp = rp[rp.i1 != rp.i2][["i1", "i2", "year"]].drop_duplicates().rename(columns={"i1": "ccode1", "i2": "ccode2"})
    df = df.merge(rp.assign(common_rival=1.0), on=K, how="left")
    df["common_rival"] = df["common_rival"].fillna(0)
    return df


def child(engine: str, years, repeat: int) -> None:
    t0 = time.perf_counter()
    r = _read()
    t_read = time.perf_counter() - t0
    times = []
    for _i in range(repeat):
        df = None  # free the previous build before the next one
        t0 = time.perf_counter()
        df = (build_package if engine == "package" else build_naive)(r, years)
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sums = {c: float(df[c].sum()) for c in CHECK}
    print(
        json.dumps(
            {
                "engine": engine,
                "rows": len(df),
                "columns": df.shape[1],
                "read_s": t_read,
                "build_s": min(times),
                "peak_rss_mb": peak_mb,
                "sums": sums,
                "state_year": r["state_year_from"],
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", nargs=2, type=int, default=[1816, 2016])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--engine", choices=["package", "naive"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine:
        child(args.engine, tuple(args.years), args.repeat)
        return
    if not PS.is_dir():
        sys.exit(f"mirror not found at {MIRROR}")
    res = {}
    for engine in ("package", "naive"):
        t0 = time.perf_counter()
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--engine",
                engine,
                "--years",
                *map(str, args.years),
                "--repeat",
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        res[engine] = json.loads(out.stdout.strip().splitlines()[-1])
        res[engine]["wall_s"] = time.perf_counter() - t0
    p, n = res["package"], res["naive"]
    print(
        f"global directed dyad-year panel {args.years[0]}-{args.years[1]}: {p['rows']:,} rows x {p['columns']} columns"
    )
    print(f"state_year from {p['state_year']}")
    print(
        f"{'':10s}{'read s':>9s}{'build s':>9s}{'process s':>11s}{'peak RSS MB':>13s}"
        f"   (build s: best of {args.repeat}; process s: whole subprocess)"
    )
    for name, x in res.items():
        print(f"{name:10s}{x['read_s']:9.2f}{x['build_s']:9.2f}{x['wall_s']:11.2f}{x['peak_rss_mb']:13.0f}")
    print(
        f"naive / package: build time x{n['build_s'] / p['build_s']:.1f}, "
        f"peak RSS x{n['peak_rss_mb'] / p['peak_rss_mb']:.1f}"
    )
    target = p["read_s"] + p["build_s"] <= 20 and p["peak_rss_mb"] <= 3 * 1024
    print(f"target (read + build <= 20 s, peak RSS <= 3 GB): {'met' if target else 'NOT met'}")
    bad = [c for c in CHECK if abs(p["sums"][c] - n["sums"][c]) > 1e-6 * max(1.0, abs(p["sums"][c]))]
    print("column sums agree" if not bad and p["rows"] == n["rows"] else f"DISAGREE: rows or {bad}")


if __name__ == "__main__":
    main()

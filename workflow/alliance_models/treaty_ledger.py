"""The treaty ledger: every treaty of a focal state in the modelled eras,
what became of it in the models, and how many dyad-year onsets it supplies.

It is the report's answer to "what is the unit of evidence?": one row per
(focal state, treaty) in which the state holds the obligation, with the
signing year, whether the state is an original signatory, the partners, and
whether the treaty is a choice set of the partner-choice model (and, where
not, why: a renewal, a later adhesion, no chosen partner at risk in the
panel, ...), beside the number of dyad-year onsets ATOP 5.1 dates to it. The
counts (treaties, choice sets, chosen partners, onsets per treaty) feed the
report's text. Plain pandas; the tests build small tables.
"""

from __future__ import annotations

import pandas as pd

from .data.treaty_panels import typed_treaties

OBLIGATION_COLUMN = {"defense": "defense", "any": "any_obligation"}
COLUMNS = [
    "focal",
    "atopid",
    "year",
    "era",
    "role",
    "partners",
    "n_partners",
    "multilateral",
    "wartime",
    "in_choice_model",
    "chosen_in_model",
    "why_not",
    "dyad_year_onsets",
]


def _eras(focal_year: pd.DataFrame) -> dict[tuple[int, int], str]:
    fy = focal_year.dropna(subset=["era"])
    return {(int(c), int(y)): str(e) for c, y, e in zip(fy["ccode"], fy["year"], fy["era"])}


def ledger(
    treaties: pd.DataFrame,
    choice: pd.DataFrame,
    choice_meta: dict,
    onsets: pd.DataFrame,
    focal_year: pd.DataFrame,
    eras: list[str],
    obligation: str = "defense",
) -> tuple[pd.DataFrame, dict]:
    """The ledger and its counts for the focal states of ``focal_year``
    (``ccode``) in ``eras``, obligation ``defense`` or ``any``.

    ``choice``: the choice sets of that obligation (stages.treaty_tables,
    every stratum kept and flagged); a treaty is *in the model* when it has
    a stratum that is neither a renewal nor an adhesion stratum (what the
    primary choice model fits). ``choice_meta``: that table's meta (its
    ``dropped`` list gives the reason a stratum is missing). ``onsets``: the
    onset-to-treaty matches (data.treaties.match_onsets)."""
    col = OBLIGATION_COLUMN[obligation]
    era_of = _eras(focal_year)
    focal = sorted(int(c) for c in focal_year["ccode"].unique())
    typed = typed_treaties(treaties)  # the obligation-aware renewal flags (data.treaty_panels)
    renewing = {
        (int(m), int(a)) for m, a, r in zip(typed["member"], typed["atopid"], typed[f"renewal_{obligation}"]) if r
    }
    t = treaties[treaties["member"].isin(focal) & (treaties[col] == 1)]
    dropped = {(int(d["focal"]), int(d["atopid"])): d.get("reason", "") for d in choice_meta.get("dropped", [])}
    ons = onsets[(onsets["obligation"] == obligation) & onsets["atopid"].notna()]
    ons_n = ons.groupby([ons["ccode1"].astype(int), ons["atopid"].astype(int)]).size().to_dict()
    rows = []
    for r in t.itertuples(index=False):
        f, a = int(r.member), int(r.atopid)
        year = int(r.signed_year if r.original else r.entry_year)
        era = era_of.get((f, year), "")
        if era not in eras:
            continue
        members = treaties[treaties["atopid"] == a]
        partners = sorted(int(m) for m in members.loc[members["original"] & (members["member"] != f), "member"])
        st = choice[(choice["ccode1"] == f) & (choice["atopid"] == a)]
        primary = st[~st["renewal"].astype(bool) & ~st["adhesion_stratum"].astype(bool)]
        if len(primary):
            why = ""
        elif not r.original:
            why = "the focal state joined later (adhesion)"
        elif (f, a) in renewing:
            old = treaties.loc[treaties["atopid"] == a, "renews"].dropna()
            why = "renews an earlier treaty of this type with the same members" + (
                f" (ATOP {int(old.iloc[0])})" if len(old) else ""
            )
        else:
            why = dropped.get((f, a), "no choice set") or "no choice set"
            if why == "no chosen partner at risk":
                why = "its partners were already bound to the focal state by a treaty of this type (ATOP 5.1)"
        rows.append(
            {
                "focal": f,
                "atopid": a,
                "year": year,
                "era": era,
                "role": "original signatory" if r.original else "adhesion",
                "partners": " ".join(map(str, partners)),
                "n_partners": len(partners),
                "multilateral": not bool(r.bilateral),
                "wartime": bool(r.wartime),
                "in_choice_model": bool(len(primary)),
                "chosen_in_model": int(primary["chosen"].sum()) if len(primary) else 0,
                "why_not": why,
                "dyad_year_onsets": int(ons_n.get((f, a), 0)),
            }
        )
    out = pd.DataFrame(rows, columns=COLUMNS).sort_values(["focal", "year", "atopid"], ignore_index=True)
    era_ons = ons[ons["era"].isin(eras)]
    total = int(len(onsets[(onsets["obligation"] == obligation) & onsets["era"].isin(eras)]))
    top = era_ons.groupby(era_ons["atopid"].astype(int)).size().sort_values(ascending=False)
    counts = {
        "obligation": obligation,
        "eras": list(eras),
        "treaties": int(len(out)),
        "original": int((out["role"] == "original signatory").sum()),
        "adhesions": int((out["role"] == "adhesion").sum()),
        "renewals": int(out["why_not"].str.startswith("renews").sum()),
        "choice_sets": int(out["in_choice_model"].sum()),
        "chosen_partners": int(out["chosen_in_model"].sum()),
        "multilateral_choice_sets": int((out["in_choice_model"] & out["multilateral"]).sum()),
        "dyad_year_onsets": total,
        "onsets_matched": int(len(era_ons)),
        "largest_treaty": int(top.index[0]) if len(top) else None,
        "largest_treaty_onsets": int(top.iloc[0]) if len(top) else 0,
        "signing_years": sorted({int(y) for y in out.loc[out["role"] == "original signatory", "year"]}),
    }
    return out, counts


def ledger_sentence(c: dict, names: dict | None = None) -> str:
    """The unit of evidence in words, from :func:`ledger`'s counts."""
    names = names or {}
    big = c.get("largest_treaty")
    share = (
        f"; one treaty (ATOP {big}) supplies {c['largest_treaty_onsets']} of the {c['dyad_year_onsets']} dyad-year "
        "onsets, which is why onsets are not the unit"
        if big and c.get("dyad_year_onsets")
        else ""
    )
    return (
        f"{c['treaties']} {c['obligation']} treaties in the eras {', '.join(c['eras'])} "
        f"({c['original']} as an original signatory, {c['adhesions']} by adhesion; {c['renewals']} renewals); "
        f"{c['choice_sets']} of them are choice sets of the partner-choice model ({c['chosen_partners']} chosen "
        f"partners, {c['multilateral_choice_sets']} multilateral treaties each counting once){share}."
    )

"""The treaty ledger: every treaty of the focal state, in the partner-choice
model or why not, with the dyad-year onsets it supplies (synthetic tables
from test_treaty_panels)."""

import pandas as pd
from alliance_models.data import treaty_panels as tp
from alliance_models.treaty_ledger import ledger, ledger_sentence
from test_treaty_panels import F, make_panel, make_treaties


def _onsets() -> pd.DataFrame:
    rows = [(F, 290, 1945, 100), (F, 310, 1945, 101), (F, 355, 1945, 101), (F, 200, 1946, 101), (F, 2, 1944, 105)]
    df = pd.DataFrame(rows, columns=["ccode1", "ccode2", "year", "atopid"])
    df["atopid"] = df["atopid"].astype("Int64")
    return df.assign(era="soviet", obligation="defense")


def _ledger(eras=("soviet",)):
    panel, treaties = make_panel(), make_treaties()
    choice, meta = tp.build_choice_sets(panel, treaties, "defense", keep_adhesions=True, keep_renewals=True)
    fy = tp.build_focal_year(panel, treaties)
    return ledger(treaties, choice, meta, _onsets(), fy, list(eras), "defense")


def test_each_treaty_is_in_the_model_or_says_why():
    led, counts = _ledger()
    by = led.set_index("atopid")
    # 100, 101: original signings with a partner at risk -> choice sets
    assert by.loc[[100, 101], "in_choice_model"].all()
    # 105: its partner (2) is bound to the focal state since 1943 in the panel (ATOP 5.1)
    assert not by.loc[105, "in_choice_model"] and "already bound" in by.loc[105, "why_not"]
    assert by.loc[101, "chosen_in_model"] == 2 and by.loc[101, "multilateral"]
    # 102 renews 100 (the focal state held a defence obligation in both)
    assert (
        not by.loc[102, "in_choice_model"]
        and by.loc[102, "why_not"].startswith("renews")
        and "100" in by.loc[102, "why_not"]
    )
    # 104: the focal state adhered in 1943
    assert by.loc[104, "role"] == "adhesion" and "adhesion" in by.loc[104, "why_not"]
    # 106: its partner is no panel state
    assert by.loc[106, "why_not"] == "no chosen partner in the panel"
    # the onsets each treaty supplies; 102 and 106 none
    assert by["dyad_year_onsets"].to_dict() == {100: 1, 101: 3, 102: 0, 104: 0, 105: 1, 106: 0}
    assert counts["treaties"] == 6 and counts["choice_sets"] == 2 and counts["renewals"] == 1
    assert counts["largest_treaty"] == 101 and counts["largest_treaty_onsets"] == 3 and counts["dyad_year_onsets"] == 5
    text = ledger_sentence(counts)
    assert "2 of them are choice sets" in text and "ATOP 101" in text and "3 of the 5 dyad-year onsets" in text


def test_eras_outside_the_model_are_left_out():
    led, counts = _ledger(eras=("tsarist",))
    assert led.empty and counts["treaties"] == 0 and counts["dyad_year_onsets"] == 0

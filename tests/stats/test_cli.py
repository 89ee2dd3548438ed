"""``gains stats`` commands through click's CliRunner, on CSV files in tmp_path."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from gains.bounds import (
    ANNUAL_SAVING_GBP,
    DISCOUNT_RATE,
    EXPECTED_LIFE_YEARS,
    IMPLEMENTATION_COST_GBP,
    OPTIMISM_BIAS_BENEFITS,
    OPTIMISM_BIAS_COSTS,
    PERSISTENCE,
)
from gains.stats.appraisal import GREEN_BOOK_DISCOUNT_RATE
from gains.stats_cli import stats_group

DATA = Path(__file__).resolve().parents[1] / "reference" / "data"
ESTIMATE_KEYS = {
    "method",
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "statistic",
    "df",
    "se",
    "gain",
    "relative_change",
    "relative_se",
    "relative_ci_low",
    "relative_ci_high",
    "hedges_g",
    "hedges_g_variance",
    "n_before",
    "n_after",
    "warnings",
    "cs_low",
    "cs_high",
    "evidence_level",
}


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(stats_group, [str(arg) for arg in args])

    return invoke


def copy(tmp_path, name):
    return shutil.copy(DATA / name, tmp_path / name)


def write(tmp_path, text, name="input.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def json_output(result):
    """The single JSON object on stdout; NaN or Infinity (not JSON) fail the test."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_constant=reject_constant)


def reject_constant(name):
    raise AssertionError(f"{name} is not valid JSON")


def test_estimate_auto_picks_did_and_reports_every_key(run, tmp_path, reference):
    output = json_output(run("estimate", copy(tmp_path, "did.csv"), "--json"))
    assert output.keys() >= ESTIMATE_KEYS
    assert output["method"] == "did"
    assert output["se"] == pytest.approx(reference("did")["hc3"]["se"], rel=1e-9)


def test_estimate_flags_reach_the_engine(run, tmp_path, reference):
    path = copy(tmp_path, "did.csv")
    output = json_output(
        run("estimate", path, "--cov", "HC1", "--alpha", "0.1", "--direction", "lower", "--json")
    )
    expected = reference("did")["hc1"]
    assert output["se"] == pytest.approx(expected["se"], rel=1e-9)
    assert output["level"] == pytest.approx(0.9)
    assert output["gain"] == pytest.approx(-expected["effect"], rel=1e-9)


@pytest.mark.parametrize(
    ("name", "flags", "level"),
    [
        ("rct.csv", (), 2),
        ("rct.csv", ("--randomised",), 5),
        ("did.csv", ("--randomised",), 5),
        ("did.csv", (), 3),  # no dates: no pre-trend test
        ("welch.csv", ("--randomised",), 2),
    ],
)
def test_randomised_declares_random_assignment(run, tmp_path, name, flags, level):
    output = json_output(run("estimate", copy(tmp_path, name), *flags, "--json"))
    assert output["evidence_level"] == level


def test_planned_sample_size_moves_where_the_always_valid_interval_is_tightest(run, tmp_path):
    """welch.csv has 12 + 15 rows: the interval is tighter planned at 15 a phase than at the
    default 100, the estimate itself the same; a size the plan could not have is refused."""
    path = copy(tmp_path, "welch.csv")
    default = json_output(run("estimate", path, "--json"))
    planned = json_output(run("estimate", path, "--planned-sample-size", 15, "--json"))
    assert planned["effect"] == default["effect"] and planned["ci_low"] == default["ci_low"]
    width = planned["cs_high"] - planned["cs_low"]
    assert planned["ci_high"] - planned["ci_low"] < width < default["cs_high"] - default["cs_low"]
    refused = run("estimate", path, "--planned-sample-size", 0, "--json")
    assert refused.exit_code == 2 and "Planned sample size must be between" in refused.output


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("paired.csv", "paired"),
        ("welch.csv", "welch"),
        ("rct.csv", "treatment_vs_control"),
        ("its.csv", "its"),
    ],
)
def test_estimate_auto_design_choice(run, tmp_path, name, method):
    assert json_output(run("estimate", copy(tmp_path, name), "--json"))["method"] == method


@pytest.mark.parametrize(
    ("flags", "expected", "cov_type"),
    [
        ((), ("its_reml", "its"), "AR(1) REML, Satterthwaite df"),
        (("--cov", "reml"), ("its_reml", "its"), "AR(1) REML, Satterthwaite df"),
        (("--cov", "newey"), ("its", None), "HAC(Newey-West, maxlags=3)"),
    ],
)
def test_estimate_its_json_has_level_and_slope_change(
    run, tmp_path, reference, flags, expected, cov_type
):
    output = json_output(
        run("estimate", copy(tmp_path, "its.csv"), "--design", "its", *flags, "--json")
    )
    name, case = expected
    wanted = reference(name)[case] if case else reference(name)
    assert output["cov_type"] == cov_type
    for term in ("level_change", "slope_change"):
        assert {"estimate", "se", "ci_low", "ci_high"} <= output[term].keys()
        assert output[term]["se"] == pytest.approx(wanted[term]["se"], rel=1e-6)


def test_estimate_its_with_a_group_column_fits_the_control_series(run, tmp_path, reference):
    output = json_output(
        run("estimate", copy(tmp_path, "its_control.csv"), "--design", "its", "--json")
    )
    assert output["evidence_level"] == 4 and output["details"]["control_series"] is True
    assert output["effect"] == pytest.approx(reference("its_control")["effect"], rel=1e-6)


def test_estimate_help_names_each_designs_default_cov(run):
    text = " ".join(run("estimate", "--help").output.split())
    assert "HC3 (default)" in text and "reml (default" in text and "newey" in text


def test_missing_values_are_null_in_json(run, tmp_path):
    output = json_output(run("estimate", copy(tmp_path, "sleep.csv"), "--json"))
    assert output["relative_change"] is None and output["hedges_g"] is not None
    codes = [warning["code"] for warning in output["warnings"]]
    assert "denominator_ci_includes_zero" in codes


def test_estimate_readable_table(run, tmp_path):
    result = run("estimate", copy(tmp_path, "welch.csv"))
    assert result.exit_code == 0
    assert "method" in result.stdout and "welch" in result.stdout


def test_pool_json_matches_metafor(run, tmp_path, reference):
    output = json_output(run("pool", copy(tmp_path, "bcg.csv"), "--method", "pm", "--json"))
    expected = reference("pooling_power_bh")["bcg_pm"]
    assert {
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
        "tau2",
        "i2",
        "q",
        "q_p_value",
        "k",
        "method",
    } <= output.keys()
    assert output["tau2"] == pytest.approx(expected["tau2"], rel=1e-9)
    assert output["method"] == "pm" and output["k"] == 13
    assert output["ci_method"] == "knha" and output["df"] == 12


def test_pool_ci_method_z_is_metafors_normal_interval(run, tmp_path, reference):
    bcg = copy(tmp_path, "bcg.csv")
    output = json_output(run("pool", bcg, "--method", "pm", "--ci-method", "z", "--json"))
    expected = reference("pooling_power_bh")["bcg_pm"]
    assert output["ci_method"] == "z" and output["df"] is None
    assert output["ci_low"] == pytest.approx(expected["ci_low"], rel=1e-9)


def json_lines(result):
    assert result.exit_code == 0, result.output
    return [json.loads(line, parse_constant=reject_constant) for line in result.stdout.splitlines()]


def stacked(tmp_path, parts: dict[str, str], column="Site"):
    """One CSV of several reference files (with the same columns), each row tagged with its
    part's name in `column`."""
    frames = [pd.read_csv(DATA / name).assign(**{column: value}) for value, name in parts.items()]
    path = tmp_path / "stacked.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_estimate_by_prints_one_line_per_group_equal_to_its_own_run(run, tmp_path):
    parts = {"007": "did.csv", "north": "rct.csv"}
    lines = json_lines(run("estimate", stacked(tmp_path, parts), "--by", "site", "--json"))
    assert [line["by"] for line in lines] == ["007", "north"]  # as written, in file order
    for line, name in zip(lines, parts.values(), strict=True):
        alone = json_output(run("estimate", copy(tmp_path, name), "--json"))
        assert line == {"by": line["by"]} | alone
    assert [line["method"] for line in lines] == ["did", "treatment_vs_control"]


def test_by_a_group_that_cannot_be_estimated_carries_an_error_and_the_others_go_on(run, tmp_path):
    path = write(
        tmp_path,
        "site,phase,value\nA,before,1\nA,before,2\nA,after,4\nA,after,6\n"
        "B,before,1\nB,after,2\n,before,3\nC,before,1\nC,before,3\nC,after,5\nC,after,8\n",
    )
    result = run("estimate", path, "--by", "site", "--json")
    lines = json_lines(result)
    assert [line["by"] for line in lines] == ["A", "B", "", "C"]
    assert lines[1] == {"by": "B", "error": "each side needs at least 2 observations"}
    assert lines[2] == {"by": "", "error": "1 row has no value in column 'site'"}
    assert lines[0]["effect"] == pytest.approx(3.5) and lines[3]["effect"] == pytest.approx(4.5)
    assert "2 of 4 groups could not be computed" in result.stderr


def test_by_a_missing_column_is_an_error(run, tmp_path):
    result = run("estimate", copy(tmp_path, "welch.csv"), "--by", "site", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "lacks the column 'site' named by --by" in result.stderr


def test_pool_by_pools_each_group(run, tmp_path, reference):
    bcg = pd.read_csv(DATA / "bcg.csv")
    bcg["trial_era"] = ["early" if i < 6 else "late" for i in range(len(bcg))]
    bcg.loc[len(bcg)] = ["one too few", 0.1, 0.01, "tiny"]
    path = tmp_path / "bcg_by.csv"
    bcg.to_csv(path, index=False)
    lines = json_lines(run("pool", path, "--by", "trial_era", "--json"))
    assert [line["by"] for line in lines] == ["early", "late", "tiny"]
    for line, rows in zip(lines, (slice(0, 6), slice(6, 13)), strict=False):
        part = bcg.iloc[rows]
        part[["label", "effect", "variance"]].to_csv(tmp_path / "part.csv", index=False)
        assert line == {"by": line["by"]} | json_output(
            run("pool", tmp_path / "part.csv", "--json")
        )
    assert lines[2] == {"by": "tiny", "error": "pooling needs at least 3 improvements, got 1"}


def test_by_without_json_prints_a_readable_block_per_group(run, tmp_path):
    path = stacked(tmp_path, {"A": "paired.csv", "B": "sleep.csv"})
    result = run("estimate", path, "--by", "site")
    assert result.exit_code == 0
    blocks = result.stdout.strip().split("\n\n")
    assert [block.splitlines()[0].split() for block in blocks] == [["by", "A"], ["by", "B"]]
    assert all("effect" in block for block in blocks)


def test_power_solves_for_the_missing_one(run, reference):
    case = reference("pooling_power_bh")["n_per_group"][0]
    output = json_output(
        run("power", "--effect-size", case["effect_size"], "--power", case["power"], "--json")
    )
    assert set(output) == {"effect_size", "n_per_group", "power", "alpha"}
    assert output["n_per_group"] == pytest.approx(case["n"], rel=1e-7)


def test_spc_reports_limits_and_signals_by_file_row(run, tmp_path):
    rows = "\n".join(
        f"2025-01-{day:02d},{value}"
        for day, value in zip(
            range(10, 0, -1), [30, 10, 11, 10, 10, 11, 10, 12, 11, 10], strict=True
        )
    )
    output = json_output(run("spc", write(tmp_path, "date,value\n" + rows), "--json"))
    assert {"mean", "upl", "lpl", "signals"} <= output.keys()
    # The file lists days in reverse; the 30 is on the last day and in data row 0.
    assert {"index": 0, "rule": "outside_limits"} in output["signals"]
    unscreened = json_output(
        run("spc", write(tmp_path, "date,value\n" + rows), "--no-screen", "--json")
    )
    assert unscreened["upl"] > output["upl"]


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("estimate", "phase,value\nbefore,1\nafter,x\n", "not a number"),
        ("estimate", "phase,amount\nbefore,1\n", "lacks the column"),
        ("estimate", "phase,value\nduring,1\nafter,2\n", "must be one of"),
        ("estimate", "phase,value\nbefore,1\nafter,2\n", "at least 2"),
        ("estimate", "", "not a readable CSV"),
        ("pool", "label,effect,variance\na,0.1,0.01\nb,0.2,0.02\n", "at least 3"),
        ("pool", "label,effect,variance\na,0.1,-1\nb,0.2,0.02\nc,0.1,0.1\n", "positive"),
        ("spc", "value\n1\n", "at least 2"),
        ("spc", "date,value\nyesterday,1\n2025-01-01,2\n", "unreadable date"),
    ],
)
def test_bad_csv_gives_one_message_and_exit_status_2(run, tmp_path, command, text, message):
    result = run(command, write(tmp_path, text))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_missing_file_and_bad_power_arguments_exit_2(run, tmp_path):
    assert run("estimate", tmp_path / "absent.csv").exit_code == 2
    result = run("power", "--effect-size", "0.5")
    assert result.exit_code == 2 and "exactly two" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "solved", "expected"),
    [
        # Far out on the power curve the noncentral t's wrong-sign tail underflows to NaN;
        # these three once ended in a traceback from the root finder.
        (("--n-per-group", "1e7", "--power", "0.8"), "effect_size", 0.0012529),
        (("--n-per-group", "2", "--power", "0.999999"), "effect_size", None),
        (("--n-per-group", "1000", "--effect-size", "0.5"), "power", 1.0),
    ],
)
def test_power_far_out_on_the_curve_still_solves(run, arguments, solved, expected):
    output = json_output(run("power", *arguments, "--json"))
    assert output[solved] is not None and output[solved] == output[solved]  # not NaN
    if expected is not None:
        assert output[solved] == pytest.approx(expected, rel=1e-4)


def test_power_solves_below_two_a_group_as_r_does(run):
    """A large effect needs fewer than 2 a group: R's power.t.test(delta = 6, power = 0.8,
    strict = TRUE) gives n = 1.95 (its uniroot extends below 2); this used to be refused."""
    output = json_output(run("power", "--effect-size", "6", "--power", "0.8", "--json"))
    assert output["n_per_group"] == pytest.approx(1.9516, abs=1e-4)


@pytest.mark.parametrize(
    "arguments",
    [
        ("--n-per-group", "inf", "--power", "0.8"),
        ("--n-per-group", "nan", "--power", "0.8"),
        ("--effect-size", "inf", "--power", "0.8"),
        ("--effect-size", "nan", "--n-per-group", "10"),
        ("--n-per-group", "10", "--effect-size", "inf"),
    ],
)
def test_power_refuses_numbers_that_are_not_finite(run, arguments):
    result = run("power", *arguments, "--json")
    assert result.exit_code == 2, result.output
    assert "must be a finite number" in result.stderr


WORKED_EXAMPLE = (
    *("--annual-saving", "10000", "--cost", "5000", "--years", "3", "--persistence", "0.8"),
    *("--optimism-bias-benefits", "0.15", "--optimism-bias-costs", "0.1"),
)


def test_appraise_prints_the_contract_keys_in_pounds(run):
    # Worked by hand in tests/stats/test_appraisal.py: PVB £19,467.00, PVC £5,500, month 8.
    output = json_output(run("appraise", *WORKED_EXAMPLE, "--json"))
    assert output == {
        "pv_benefits": 19467.0,
        "pv_costs": 5500.0,
        "npv": 13967.0,
        "bcr": pytest.approx(19467 / 5500, rel=1e-15),
        "payback_month": 8,
        "annual_saving": 10000.0,
        "cost": 5000.0,
        "years": 3,
        "persistence": 0.8,
        "discount_rate": 0.035,
        "optimism_bias_benefits": 0.15,
        "optimism_bias_costs": 0.1,
    }


def test_appraise_defaults_and_the_nulls(run):
    # £12,000 a year against £1,000 for a year: PVB 12,000 / 1.035 = £11,594.20, month 1.
    defaults = json_output(
        run("appraise", "--annual-saving", "12,000", "--cost", "£1000", "--years", 1, "--json")
    )
    assert (defaults["pv_benefits"], defaults["payback_month"]) == (11594.2, 1)
    # The option's default is written out (importing the module would load scipy for
    # `gains --help`): it must stay the Green Book's rate.
    assert (defaults["persistence"], defaults["discount_rate"]) == (1.0, GREEN_BOOK_DISCOUNT_RATE)
    assert defaults["optimism_bias_benefits"] == defaults["optimism_bias_costs"] == 0.0
    # No cost: no ratio. A loss of £1,000.01 a year for 2 years at 1.5 %: never pays back;
    # PVB = −1,000.01 × (1 / 1.015 + 1 / 1.015²) = −£1,955.90.
    output = json_output(
        run(
            *("appraise", "--annual-saving", "-1000.01", "--cost", "0", "--years", 2),
            *("--discount", "0.015", "--json"),
        )
    )
    assert (output["bcr"], output["payback_month"]) == (None, None)
    assert output["pv_benefits"] == output["npv"] == -1955.9


def test_appraise_reads_as_a_table_without_json(run):
    result = run("appraise", *WORKED_EXAMPLE)
    assert result.exit_code == 0, result.output
    lines = [line.split(maxsplit=1) for line in result.stdout.splitlines()]
    assert lines[:5] == [
        ["pv_benefits", "£19,467.00"],
        ["pv_costs", "£5,500.00"],
        ["npv", "£13,967.00"],
        ["bcr", "3.53945"],
        ["payback_month", "8"],
    ]
    never = run("appraise", "--annual-saving", "-5", "--cost", "0", "--years", 1)
    assert "\u2212£4.83" in never.stdout  # −5 / 1.035, with a minus sign
    assert ["payback_month", "-"] in [line.split() for line in never.stdout.splitlines()]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--years", "0"), EXPECTED_LIFE_YEARS.message),
        (("--years", "31"), EXPECTED_LIFE_YEARS.message),
        (("--years", "2.5"), "not a valid integer"),
        (("--persistence", "80"), PERSISTENCE.message + ", typed as a fraction (0.8 for 80 %)"),
        (("--persistence", "nan"), PERSISTENCE.message),
        (("--discount", "-0.01"), DISCOUNT_RATE.message),
        (("--optimism-bias-benefits", "0.96"), OPTIMISM_BIAS_BENEFITS.message),
        (("--optimism-bias-costs", "2.5"), OPTIMISM_BIAS_COSTS.message),
        (("--optimism-bias-costs", "inf"), OPTIMISM_BIAS_COSTS.message),
        (("--annual-saving", "10.001"), "more decimal places than pence"),
        (("--annual-saving", "ten"), "not an amount in pounds"),
        (("--annual-saving", "Infinity"), "not an amount in pounds"),
        (("--annual-saving", "1E+999999999"), ANNUAL_SAVING_GBP.message),
        (("--cost", "-1"), IMPLEMENTATION_COST_GBP.message),
    ],
)
def test_appraise_refuses_bad_arguments_with_the_bounds_words(run, arguments, message):
    base = {"--annual-saving": "100", "--cost": "10", "--years": "3"}
    flags = base | dict(zip(arguments[::2], arguments[1::2], strict=True))
    result = run("appraise", *[part for item in flags.items() for part in item], "--json")
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())  # click wraps long messages
    assert "Traceback" not in result.output and result.stdout == ""


def test_appraise_needs_saving_cost_and_life(run):
    result = run("appraise", "--annual-saving", "100", "--cost", "10")
    assert result.exit_code == 2 and "--years" in result.stderr


MIXED_OFFSETS = """date,phase,value
2026-01-05T09:00:00+01:00,before,10
2026-01-12T09:00:00Z,before,11
2026-01-19T09:00:00+01:00,before,12
2026-01-26T09:00:00Z,after,9
2026-02-02T09:00:00+01:00,after,8
2026-02-09T09:00:00Z,after,9
"""


@pytest.mark.parametrize("command", ["estimate", "spc"])
def test_dates_mixing_utc_offsets_are_read_as_utc(run, tmp_path, command):
    """`+01:00` beside `Z` in one date column used to end in pandas' "Mixed timezones" error."""
    output = json_output(run(command, write(tmp_path, MIXED_OFFSETS), "--json"))
    assert output


def test_read_dates_turns_offsets_to_naive_utc():
    from gains.stats.frames import read_dates

    dates = read_dates(
        pd.Series(["2026-01-05T00:30:00+01:00", "2026-01-05T09:00:00Z", "2026-01-06"])
    )
    assert list(dates) == [
        pd.Timestamp("2026-01-04T23:30:00"),
        pd.Timestamp("2026-01-05T09:00:00"),
        pd.Timestamp("2026-01-06"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # pandas took the first column as an index and every column moved one place left:
        # "column 'phase' must be one of before, after; found 1, 2, 3, 4".
        (
            "phase,value\nbefore,1,9\nbefore,2\nafter,3\nafter,4\n",
            "the first data row has more fields than the header's 2",
        ),
        (
            "phase,value\nbefore,1\nbefore,2\nafter,3,9\nafter,4\n",
            "line 4 has 3 fields but the header has 2",
        ),
        # The first `value` was used and the second ignored without a word.
        (
            "phase,value,Value\nbefore,1,5\nbefore,2,6\nafter,3,7\nafter,4,8\n",
            "value more than once",
        ),
        (
            "phase,value,value\nbefore,1,5\nbefore,2,6\nafter,3,7\nafter,4,8\n",
            "value more than once",
        ),
        (
            "phase,group,value\nbefore,,1\nafter,,2\nbefore,control,3\nafter,control,4\n",
            "'group' is blank in data row 1",
        ),
    ],
)
def test_a_csv_the_reader_would_change_is_refused_naming_the_problem(run, tmp_path, text, message):
    """Issue 19: each of these used to give an estimate of other data, or a misleading error."""
    result = run("estimate", write(tmp_path, text), "--json")
    assert result.exit_code == 2
    assert message in result.output


def test_a_header_with_blank_headings_is_still_read(run, tmp_path):
    text = "phase,value,,\nbefore,1,,\nbefore,2,,\nafter,3,,\nafter,5,,\n"
    assert json_output(run("estimate", write(tmp_path, text), "--json"))["effect"] == 2.5


def test_pool_refuses_effects_it_cannot_square(run, tmp_path):
    """Effects near 1e200 overflowed into nulls with exit status 0 (issue 19)."""
    text = "label,effect,variance\na,1e200,1e200\nb,2e200,1e200\nc,3e200,1e200\n"
    result = run("pool", write(tmp_path, text), "--json")
    assert result.exit_code == 2 and "too large or too small to pool" in result.output


def test_estimate_seasonal_flag_reaches_the_time_series(run, tmp_path, reference):
    path = copy(tmp_path, "its_seasonal.csv")
    output = json_output(run("estimate", path, "--design", "its", "--seasonal", "--json"))
    assert output["details"]["seasonal"] is True
    expected = reference("its_reml")["its_seasonal"]
    assert output["effect"] == pytest.approx(expected["effect"], rel=1e-6)


SHRINK_KEYS = ["method", "k", "pooled_mean", "pooled_mean_se", "tau2", "rows"]


@pytest.mark.parametrize("case", ["department8_dl", "seeded20_pm", "two_dl", "one_pm"])
def test_shrink_json_matches_metafors_blups(run, tmp_path, reference, case):
    expected = reference("shrinkage_blup")[case]
    frame = pd.DataFrame({"yi": expected["yi"], "vi": expected["vi"]}, index=range(expected["k"]))
    frame.to_csv(tmp_path / "effects.csv", index=False)
    output = json_output(
        run("shrink", tmp_path / "effects.csv", "--method", expected["method"], "--json")
    )
    assert list(output) == SHRINK_KEYS
    assert output["method"] == expected["method"] and output["k"] == expected["k"]
    for key in ("pooled_mean", "pooled_mean_se", "tau2"):
        assert output[key] == pytest.approx(expected[key], rel=1e-10, abs=1e-12)
    rows = output["rows"]
    assert all(list(row) == ["label", "yi", "vi", "shrunk", "shrunk_se"] for row in rows)
    assert [row["label"] for row in rows] == [str(i) for i in range(1, expected["k"] + 1)]
    for key in ("shrunk", "shrunk_se", "yi", "vi"):
        found = [row[key] for row in rows]
        assert found == pytest.approx(list(np.atleast_1d(expected[key])), rel=1e-10, abs=1e-12)


def test_shrink_keeps_labels_as_written_and_prints_a_readable_table(run, tmp_path):
    path = write(tmp_path, "Label,yi,vi\n007,0.62,0.021\n,0.05,0.085\nWest,-0.25,0.12\n")
    rows = json_output(run("shrink", path, "--json"))["rows"]
    assert [row["label"] for row in rows] == ["007", "2", "West"]
    table = run("shrink", path)
    assert table.exit_code == 0
    assert "pooled_mean" in table.stdout and "label=West" in table.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yi,vi\n0.1,0.01\n0.2,0\n", "column 'vi' (a variance) is not positive in data row 2"),
        ("yi,vi\n0.1,0.01\n0.2,-1\n", "not positive in data row 2"),
        ("yi,vi\n0.1,0.01\nbig,0.02\n", "column 'yi' is not a number in data row 2"),
        ("yi,variance\n0.1,0.01\n", "lacks the column(s) vi"),
        ("yi,vi\n", "has no data rows"),
        ("label,yi,vi\na\x07b,0.1,0.01\n", "data row 1: Remove the invisible control characters"),
        ("yi,vi\n1e200,0.01\n2e200,0.01\n", "too large or too small to pool"),
    ],
)
def test_shrink_refuses_bad_input_with_one_message_and_status_2(run, tmp_path, text, message):
    result = run("shrink", write(tmp_path, text), "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.output

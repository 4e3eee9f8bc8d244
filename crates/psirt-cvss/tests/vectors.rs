//! Data-driven tests of parsing, canonical printing and scoring: one line of
//! input, one line of expected output, written inline. Update the
//! expectations with `UPDATE_EXPECT=1 cargo test -p psirt-cvss`, then check
//! every changed score against the cited source.

use expect_test::{Expect, expect};
use psirt_cvss::{Scores, Vector};

/// Parses `input` and describes the result: the canonical string and every
/// score, or the error message.
fn check(input: &str, expected: Expect) {
    let actual = match input.parse::<Vector>() {
        Ok(vector) => describe(&vector),
        Err(error) => format!("error: {error}"),
    };
    expected.assert_eq(&actual);
}

fn describe(vector: &Vector) -> String {
    let scores = match vector.scores() {
        Scores::V3 {
            base,
            temporal,
            environmental,
        } => format!("base {base} temporal {temporal} environmental {environmental}"),
        Scores::V4 {
            score,
            nomenclature,
        } => format!("{nomenclature} {score}"),
    };
    format!(
        "{vector} | {} {scores} {}",
        vector.version(),
        vector.severity()
    )
}

// The examples of "CVSS v3.1: Examples" (FIRST), base scores.

#[test]
fn v3_1_specification_examples() {
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N | 3.1 base 6.1 temporal 6.1 environmental 6.1 Medium"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N | 3.1 base 6.4 temporal 6.4 environmental 6.4 Medium"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N | 3.1 base 3.1 temporal 3.1 environmental 3.1 Low"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H | 3.1 base 9.9 temporal 9.9 environmental 10.0 Critical"
        ],
    );
    check(
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L",
        expect![
            "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L | 3.1 base 4.2 temporal 4.2 environmental 4.2 Medium"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H | 3.1 base 8.8 temporal 8.8 environmental 8.8 High"
        ],
    );
    check(
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        expect![
            "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H | 3.1 base 7.8 temporal 7.8 environmental 7.8 High"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N | 3.1 base 7.5 temporal 7.5 environmental 7.5 High"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H | 3.1 base 9.8 temporal 9.8 environmental 9.8 Critical"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N | 3.1 base 6.8 temporal 6.8 environmental 6.8 Medium"
        ],
    );
    check(
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![
            "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H | 3.1 base 6.8 temporal 6.8 environmental 6.8 Medium"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N | 3.1 base 5.8 temporal 5.8 environmental 5.8 Medium"
        ],
    );
    check(
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:N",
        expect![
            "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:N | 3.1 base 7.4 temporal 7.4 environmental 7.4 High"
        ],
    );
}

#[test]
fn v3_extremes() {
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H | 3.1 base 10.0 temporal 10.0 environmental 10.0 Critical"
        ],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N | 3.1 base 0.0 temporal 0.0 environmental 0.0 None"
        ],
    );
    check(
        "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
        expect![
            "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N | 3.1 base 1.6 temporal 1.6 environmental 1.6 Low"
        ],
    );
}

#[test]
fn v3_temporal_and_environmental_scores() {
    // Every temporal metric at its lowest weight.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U | 3.1 base 9.8 temporal 7.8 environmental 7.8 Critical"
        ],
    );
    // Requirements raise the environmental score above the base score.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N/CR:H/IR:H/AR:H",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N/CR:H/IR:H/AR:H | 3.1 base 5.4 temporal 5.4 environmental 6.4 Medium"
        ],
    );
    // A modified scope takes the changed-scope modified impact equation.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:T/RC:R/CR:H/IR:M/AR:L/MAV:A/MAC:H/MPR:N/MUI:R/MS:C/MC:H/MI:L/MA:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:T/RC:R/CR:H/IR:M/AR:L/MAV:A/MAC:H/MPR:N/MUI:R/MS:C/MC:H/MI:L/MA:N | 3.1 base 8.8 temporal 7.7 environmental 6.9 High"
        ],
    );
    // Modified impacts of None give an environmental score of zero.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N | 3.1 base 9.8 temporal 9.8 environmental 0.0 Critical"
        ],
    );
}

#[test]
fn v3_0_and_v3_1_differ_where_the_specifications_do() {
    // The modified impact for a changed scope: 3.1 multiplies by 0.9731 and
    // raises to the 13th power instead of the 15th. Where it is capped at
    // 10.0 both agree; below, 3.0 scores 9.6 and 3.1 9.5.
    let vector = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:H/AR:H/MS:C";
    check(
        &format!("CVSS:3.0/{vector}"),
        expect![
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:H/AR:H/MS:C | 3.0 base 9.8 temporal 9.8 environmental 10.0 Critical"
        ],
    );
    check(
        &format!("CVSS:3.1/{vector}"),
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:H/AR:H/MS:C | 3.1 base 9.8 temporal 9.8 environmental 10.0 Critical"
        ],
    );
    let vector = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/CR:M/IR:L/AR:H/MS:C";
    check(
        &format!("CVSS:3.0/{vector}"),
        expect![
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/CR:M/IR:L/AR:H/MS:C | 3.0 base 9.1 temporal 9.1 environmental 9.6 Critical"
        ],
    );
    check(
        &format!("CVSS:3.1/{vector}"),
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/CR:M/IR:L/AR:H/MS:C | 3.1 base 9.1 temporal 9.1 environmental 9.5 Critical"
        ],
    );
    // Round up of a product that binary floating point puts just above a
    // tenth: 5.0 × 0.92 is 4.6 exactly, not 4.7 (v3.1 Appendix A).
    check(
        "CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:H/RC:U",
        expect![
            "CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:H/RC:U | 3.0 base 5.0 temporal 4.6 environmental 4.6 Medium"
        ],
    );
}

#[test]
fn v3_metrics_may_come_in_any_order_and_print_in_specification_order() {
    check(
        "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:F",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F | 3.1 base 9.8 temporal 9.6 environmental 9.6 Critical"
        ],
    );
    // Explicit Not Defined values are kept as given.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/MAV:X",
        expect![
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/MAV:X | 3.1 base 9.8 temporal 9.8 environmental 9.8 Critical"
        ],
    );
}

// The examples of "CVSS v4.0: Examples" (FIRST) and of the specification.

#[test]
fn v4_examples() {
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N | 4.0 CVSS-B 9.3 Critical"
        ],
    );
    check(
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        expect![
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N | 4.0 CVSS-B 8.5 High"
        ],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N | 4.0 CVSS-B 6.9 Medium"
        ],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H | 4.0 CVSS-B 10.0 Critical"
        ],
    );
    check(
        "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
        expect![
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N | 4.0 CVSS-B 1.0 Low"
        ],
    );
    // No impact on any system scores zero, whatever else is set.
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:A",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:A | 4.0 CVSS-BT 0.0 None"
        ],
    );
}

#[test]
fn v4_threat_environmental_and_supplemental_metrics() {
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U | 4.0 CVSS-BT 8.1 High"
        ],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L/IR:L/AR:L",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L/IR:L/AR:L | 4.0 CVSS-BE 8.9 High"
        ],
    );
    // MSI:S, a safety impact, is the highest subsequent-system level.
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MSI:S",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MSI:S | 4.0 CVSS-BTE 9.7 Critical"
        ],
    );
    // Supplemental metrics never change the score or the nomenclature.
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:I/V:C/RE:H/U:Red",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:I/V:C/RE:H/U:Red | 4.0 CVSS-B 9.3 Critical"
        ],
    );
    // Not Defined values carry nothing, so they leave the nomenclature alone.
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/MAV:X",
        expect![
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/MAV:X | 4.0 CVSS-B 9.3 Critical"
        ],
    );
}

#[test]
fn rejected_vectors_name_the_metric_and_the_reason() {
    check("", expect!["error: the vector is empty"]);
    check(
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        expect![[r#"error: prefix "AV:N" is not one of CVSS:3.0, CVSS:3.1, CVSS:4.0"#]],
    );
    check(
        "CVSS:3.2/AV:N",
        expect![[r#"error: prefix "CVSS:3.2" is not one of CVSS:3.0, CVSS:3.1, CVSS:4.0"#]],
    );
    check(
        "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: prefix "cvss:3.1" is not one of CVSS:3.0, CVSS:3.1, CVSS:4.0"#]],
    );
    check("CVSS:3.1", expect!["error: AV: the base metric is missing"]);
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        expect!["error: A: the base metric is missing"],
    );
    check(
        "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: AV: value "Q" is not one of N, A, L, P"#]],
    );
    check(
        "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: AV: value "n" is not one of N, A, L, P"#]],
    );
    check(
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: AV: value "X" is not one of N, A, L, P"#]],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:A",
        expect![[r#"error: E: value "A" is not one of X, H, F, P, U"#]],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:N",
        expect!["error: AV: the metric appears more than once"],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N",
        expect![[r#"error: "AT" is not a CVSS 3.1 metric"#]],
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
        expect!["error: empty metric between slashes (or a trailing slash)"],
    );
    check(
        "CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect!["error: empty metric between slashes (or a trailing slash)"],
    );
    check(
        "CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: "AVN" is not of the form METRIC:VALUE"#]],
    );
    check(
        "CVSS:3.1/AV:N:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: AV: value "N:L" is not one of N, A, L, P"#]],
    );
    check(
        " CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: prefix " CVSS:3.1" is not one of CVSS:3.0, CVSS:3.1, CVSS:4.0"#]],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N",
        expect!["error: VI: out of order, CVSS 4.0 requires it before SC"],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
        expect![[r#"error: SI: value "S" is not one of H, L, N"#]],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red",
        expect![[r#"error: U: value "red" is not one of X, Clear, Green, Amber, Red"#]],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
        expect!["error: SA: the base metric is missing"],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:A",
        expect!["error: E: the metric appears more than once"],
    );
    check(
        "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        expect![[r#"error: S: value "U" is not one of X, N, P"#]],
    );
}

#[test]
fn vectors_serialize_as_their_canonical_string() {
    let vector: Vector = "CVSS:3.1/C:H/AV:N/AC:L/PR:N/UI:N/S:U/I:H/A:H"
        .parse()
        .unwrap();
    let json = serde_json::to_string(&vector).unwrap();
    expect![[r#""CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H""#]].assert_eq(&json);
    let back: Vector = serde_json::from_str(&json).unwrap();
    assert_eq!(back, vector);
    let error = serde_json::from_str::<Vector>(r#""CVSS:3.1/AV:N""#).unwrap_err();
    expect!["AC: the base metric is missing"].assert_eq(&error.to_string());
}

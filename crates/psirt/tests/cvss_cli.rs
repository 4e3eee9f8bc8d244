//! `psirt cvss` end to end: the built binary, its arguments, its standard
//! input and output, and its exit status.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Runs `psirt cvss ARGS…` with `stdin` and returns its exit code and
/// standard output.
fn run(args: &[&str], stdin: &[u8]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .arg("cvss")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("psirt runs");
    // With arguments, psirt does not read standard input and may exit
    // before we finish writing it: a broken pipe then is expected.
    match child.stdin.take().expect("piped stdin").write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && !args.is_empty() => {}
        other => other.expect("write stdin"),
    }
    let output = child.wait_with_output().expect("psirt exits");
    let code = output.status.code().expect("exit code");
    (
        code,
        String::from_utf8(output.stdout).expect("UTF-8 output"),
    )
}

/// Runs the command and compares its exit code and every output line with
/// the expected ones, written inline in each test.
fn check(args: &[&str], stdin: impl AsRef<[u8]>, expected_code: i32, expected_lines: &[&str]) {
    let (code, stdout) = run(args, stdin.as_ref());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, expected_lines);
    assert_eq!(code, expected_code, "exit code");
}

#[test]
fn scores_each_argument_in_order() {
    check(
        &[
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:H/RC:U",
        ],
        "ignored",
        0,
        &[
            r#"{"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "version": "3.1", "base": 9.8, "temporal": 9.8, "environmental": 9.8, "severity": "Critical"}"#,
            r#"{"vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "version": "4.0", "score": 9.3, "nomenclature": "CVSS-B", "severity": "Critical"}"#,
            r#"{"vector": "CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:H/RC:U", "version": "3.0", "base": 5.0, "temporal": 4.6, "environmental": 4.6, "severity": "Medium"}"#,
        ],
    );
}

#[test]
fn scores_every_vector_even_after_an_invalid_one_then_exits_1() {
    check(
        &[
            "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
            "",
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U/CR:L",
        ],
        "",
        1,
        &[
            r#"{"vector": "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "error": "AV: value \"Q\" is not one of N, A, L, P"}"#,
            r#"{"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "version": "3.1", "base": 0.0, "temporal": 0.0, "environmental": 0.0, "severity": "None"}"#,
            r#"{"vector": "", "error": "the vector is empty"}"#,
            r#"{"vector": "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U/CR:L", "version": "4.0", "score": 0.1, "nomenclature": "CVSS-BTE", "severity": "Low"}"#,
        ],
    );
}

#[test]
fn reads_standard_input_when_given_no_arguments() {
    // Blank lines are skipped; surrounding whitespace and CRLF endings are
    // trimmed from the echoed vector; the vector is echoed as given, not in
    // canonical order.
    check(
        &[],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H\n\n   \n\tCVSS:3.1/C:L/AV:N/AC:H/PR:N/UI:R/S:U/I:N/A:N  \r\nCVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MSI:S",
        0,
        &[
            r#"{"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "version": "3.1", "base": 10.0, "temporal": 10.0, "environmental": 10.0, "severity": "Critical"}"#,
            r#"{"vector": "CVSS:3.1/C:L/AV:N/AC:H/PR:N/UI:R/S:U/I:N/A:N", "version": "3.1", "base": 3.1, "temporal": 3.1, "environmental": 3.1, "severity": "Low"}"#,
            r#"{"vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MSI:S", "version": "4.0", "score": 9.7, "nomenclature": "CVSS-BTE", "severity": "Critical"}"#,
        ],
    );
}

#[test]
fn echoes_invalid_input_as_a_json_string() {
    check(
        &[],
        "CVSS:3.1/\"quoted\\\u{1}\nnot a vector\n",
        1,
        &[
            r#"{"vector": "CVSS:3.1/\"quoted\\\u0001", "error": "\"\"quoted\\\u0001\" is not of the form METRIC:VALUE"}"#,
            r#"{"vector": "not a vector", "error": "prefix \"not a vector\" is not one of CVSS:3.0, CVSS:3.1, CVSS:4.0"}"#,
        ],
    );
}

#[test]
fn reports_a_line_that_is_not_utf8_and_goes_on() {
    check(
        &[],
        b"CVSS:3.1/AV:\xff\nCVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n",
        1,
        &[
            "{\"vector\": \"CVSS:3.1/AV:\u{fffd}\", \"error\": \"the line is not valid UTF-8\"}",
            r#"{"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "version": "3.1", "base": 9.8, "temporal": 9.8, "environmental": 9.8, "severity": "Critical"}"#,
        ],
    );
}

/// A million lines stream through: standard input is written while the
/// output is read, so neither side buffers the whole run, and every line
/// gets exactly one answer in order.
#[test]
fn streams_a_million_lines() {
    const LINES: usize = 1_000_000;
    let vectors = [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:A",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
        "CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .arg("cvss")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("psirt runs");
    let mut stdin = std::io::BufWriter::new(child.stdin.take().expect("piped stdin"));
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for i in 0..LINES {
            writeln!(stdin, "{}", vectors[i % vectors.len()])?;
        }
        stdin.flush()
    });
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut count = 0;
    let mut errors = 0;
    for line in stdout.lines() {
        let line = line.expect("output line");
        let expected_vector = vectors[count % vectors.len()];
        assert!(
            line.starts_with(&format!(r#"{{"vector": "{expected_vector}", "#)),
            "line {count}: {line}"
        );
        errors += usize::from(line.contains(r#""error": "#));
        count += 1;
    }
    writer.join().expect("writer").expect("write stdin");
    let status = child.wait().expect("psirt exits");
    assert_eq!(count, LINES);
    // Every fourth vector lacks SA, so the run is invalid as a whole.
    assert_eq!(errors, LINES / 4);
    assert_eq!(status.code(), Some(1));
}

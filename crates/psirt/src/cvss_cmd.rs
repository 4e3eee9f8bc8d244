//! `psirt cvss [VECTOR…]`: scores each vector given as an argument, or each
//! non-empty line of standard input when none is given, and prints one JSON
//! object per line in input order.
//!
//! This module owns only the command's input and output: the JSON shape of
//! its lines and the exit status. Every score, severity and error message
//! comes from `psirt_cvss`; this module must never compute or reword one.
//! It streams: one line in, one line out, in constant memory, so a million
//! vectors on standard input cost no more memory than one.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use psirt_cvss::{Scores, Vector};

/// Runs the command on `vectors`, or on standard input when it is empty.
/// Exits with 1 when any vector was invalid, after scoring all of them.
pub fn run(vectors: &[String]) -> io::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut any_invalid = false;
    if vectors.is_empty() {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        let mut line = Vec::new();
        let mut text = String::new();
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            text.clear();
            let valid = match std::str::from_utf8(trimmed) {
                Ok(vector) => {
                    text.push_str(vector);
                    write_line(&mut out, &text)?
                }
                Err(_) => {
                    text.push_str(&String::from_utf8_lossy(trimmed));
                    write_error(&mut out, &text, "the line is not valid UTF-8")?;
                    false
                }
            };
            any_invalid |= !valid;
        }
    } else {
        for vector in vectors {
            // An empty argument is still a vector the caller asked about, so
            // unlike a blank line of input it gets an error line.
            any_invalid |= !write_line(&mut out, vector.trim())?;
        }
    }
    out.flush()?;
    Ok(if any_invalid {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Scores one trimmed vector and writes its line; returns whether it was
/// valid.
fn write_line(out: &mut impl Write, input: &str) -> io::Result<bool> {
    let vector = match input.parse::<Vector>() {
        Ok(vector) => vector,
        Err(error) => {
            write_error(out, input, &error.to_string())?;
            return Ok(false);
        }
    };
    let echoed = json_string(input);
    // Scores print through `Score`'s `Display`, which always writes one
    // decimal, so `5.0` stays `5.0` and is still a JSON number.
    let version = vector.version().as_str();
    let severity = vector.severity().as_str();
    match vector.scores() {
        Scores::V3 {
            base,
            temporal,
            environmental,
        } => writeln!(
            out,
            r#"{{"vector": {echoed}, "version": "{version}", "base": {base}, "temporal": {temporal}, "environmental": {environmental}, "severity": "{severity}"}}"#,
        )?,
        Scores::V4 {
            score,
            nomenclature,
        } => writeln!(
            out,
            r#"{{"vector": {echoed}, "version": "{version}", "score": {score}, "nomenclature": "{nomenclature}", "severity": "{severity}"}}"#,
        )?,
    }
    Ok(true)
}

fn write_error(out: &mut impl Write, input: &str, message: &str) -> io::Result<()> {
    writeln!(
        out,
        r#"{{"vector": {}, "error": {}}}"#,
        json_string(input),
        json_string(message)
    )
}

/// A JSON string literal; serde_json does the escaping of quotes, control
/// characters and the rest.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

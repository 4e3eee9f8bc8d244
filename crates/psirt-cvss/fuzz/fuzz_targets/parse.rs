//! Fuzz target: the vector parser never panics, and whatever it accepts
//! prints to a canonical string that parses back to the same vector and
//! scores within 0.0–10.0.

#![no_main]

use libfuzzer_sys::fuzz_target;
use psirt_cvss::Vector;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(vector) = text.parse::<Vector>() else {
        return;
    };
    assert_eq!(vector.to_string().parse::<Vector>(), Ok(vector));
    assert!(vector.base_score().tenths() <= 100);
    let _ = vector.scores();
});

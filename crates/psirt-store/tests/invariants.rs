//! The store's invariants that can be read off its source: it decides
//! nothing and knows no JSON shape of the API (docs/ARCHITECTURE.md).
//!
//! - Who a caller is to the core (an `Actor`) is made in `standing.rs`
//!   alone; elsewhere the store names only `Actor::System`, as which
//!   psirt itself acts. Access is `psirt_core::authorize`'s, asked with
//!   that actor, never a match on the actor's kind here.
//! - No ad hoc JSON (`json!`): what the store keeps as JSON is a typed
//!   storage format (the core's events, a declared shape), and the API's
//!   shapes are the server's.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each line of the store's source that contains `needle`, as `file:line`,
/// leaving out doc comments and comments.
fn lines_with(needle: &str, allowed: impl Fn(&Path, &str) -> bool) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 20, "the store's sources are read");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let relative = file.strip_prefix(&src).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") || !code.contains(needle) || allowed(relative, code) {
                continue;
            }
            found.push(format!("{}:{}: {code}", relative.display(), n + 1));
        }
    }
    found
}

#[test]
fn only_standing_makes_an_actor() {
    let found = lines_with("Actor::", |file, line| {
        file == Path::new("standing.rs")
            || line.replace("Actor::System", "").find("Actor::").is_none()
    });
    assert!(
        found.is_empty(),
        "an actor made or matched outside standing.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_writes_no_ad_hoc_json() {
    let found = lines_with("json!", |_, _| false);
    assert!(
        found.is_empty(),
        "JSON shaped by hand in the store:\n{}",
        found.join("\n")
    );
}

/// The checks above find what they look for: the same scan sees the
/// store's own `standing.rs` making actors.
#[test]
fn the_scan_sees_the_source() {
    let in_standing = lines_with("Actor::Person", |file, _| file != Path::new("standing.rs"));
    assert!(!in_standing.is_empty());
}

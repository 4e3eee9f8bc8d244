//! Text from the database made safe to print on a terminal.
//!
//! Reports, mail subjects, names and answers come from outsiders. Written
//! raw, an ESC sequence in a summary could retitle the terminal, hide a
//! line or rewrite what the team reads; BEL rings; NUL truncates. Every
//! such string the command line prints in its text form goes through
//! [`safe`]; JSON output is escaped by serde_json already.

use std::borrow::Cow;

/// `text` with every control character but line feed and tab shown as a
/// visible escape (`\u{1b}`), and nothing else changed.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    // C0, DEL and C1 controls (C1 includes the 8-bit CSI, U+009B), and the
    // bidirectional overrides that reorder what a line appears to say.
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(safe("plain text\twith a tab\n"), "plain text\twith a tab\n");
        assert_eq!(
            safe("\u{1b}]0;owned\u{7}Crash\u{0}"),
            "\\u{1b}]0;owned\\u{7}Crash\\u{0}"
        );
        assert_eq!(safe("a\u{9b}31mb\r"), "a\\u{9b}31mb\\u{d}");
        assert_eq!(safe("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
    }
}

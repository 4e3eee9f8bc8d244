//! Free text a person gives (a reason, feedback, an answer), checked once:
//! [`Text::new`] trims it and refuses it empty, longer than its field's
//! limit, or with a control character other than a newline (LF, or CRLF
//! as browsers send it) or a tab. A command that carries a [`Text`] needs
//! no further check, and the rules never re-validate one. This module
//! knows no field's meaning: the caller names the field and its limit.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::Refusal;

/// A checked, trimmed free text (see the module documentation).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// Checks `value` for `field`, at most `max` characters once trimmed.
    pub fn new(field: &'static str, value: &str, max: usize) -> Result<Text, Refusal> {
        let invalid = |reason: String| Refusal::Invalid { field, reason };
        let value = value.trim();
        if value.is_empty() {
            return Err(invalid("must not be empty".into()));
        }
        if value.contains('\0') {
            return Err(invalid("must not contain a NUL character".into()));
        }
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            let newline = c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
            if c.is_control() && !newline && c != '\t' {
                return Err(invalid(format!(
                    "must not contain the control character U+{:04X}",
                    c as u32
                )));
            }
        }
        if value.chars().count() > max {
            return Err(invalid(format!("must be at most {max} characters")));
        }
        Ok(Text(value.to_string()))
    }

    /// An optional text: absent, or blank, is `None`.
    pub fn optional(
        field: &'static str,
        value: Option<&str>,
        max: usize,
    ) -> Result<Option<Text>, Refusal> {
        value
            .filter(|v| !v.trim().is_empty())
            .map(|v| Text::new(field, v, max))
            .transpose()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

//! The advisory record's JSON shapes as the API and the case page's forms
//! take them, converted explicitly into the core's record types.
//!
//! Only shapes live here: what a valid record is, the core decides
//! (`psirt_core::check_edit`); what the formats look like, `psirt-formats`.

use psirt_core::{RangeKind, ReferenceKind, VersionRange};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::commands::invalid;
use crate::error::ApiError;

/// One range of affected versions, with OSV's meaning: from `introduced`
/// (`0`: from the first version) up to `fixed` (excluded) or
/// `last_affected` (included); with neither, every later version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeInput {
    /// `semver`, `ecosystem` or `git`.
    pub kind: String,
    /// The repository's URL, for a `git` range.
    #[serde(default)]
    pub repo: Option<String>,
    pub introduced: String,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub last_affected: Option<String>,
}

impl RangeInput {
    pub fn resolve(self) -> Result<VersionRange, ApiError> {
        let kind = RangeKind::parse(&self.kind).ok_or_else(|| {
            invalid(
                "command.ranges.kind",
                format!("{:?} is not one of semver, ecosystem, git", self.kind),
            )
        })?;
        let blank = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Ok(VersionRange {
            kind,
            repo: blank(self.repo),
            introduced: self.introduced,
            fixed: blank(self.fixed),
            last_affected: blank(self.last_affected),
        })
    }
}

pub fn reference_kind(field: &str, kind: &str) -> Result<ReferenceKind, ApiError> {
    ReferenceKind::parse(kind).ok_or_else(|| {
        let all: Vec<&str> = ReferenceKind::ALL.iter().map(|k| k.as_str()).collect();
        invalid(field, format!("{kind:?} is not one of {}", all.join(", ")))
    })
}

//! The cases whose advisories are public, for the public URLs.
//!
//! A case is public from `psirt_core::public_at` on, and not one second
//! before: until then these functions answer exactly as for a case that
//! does not exist (`NotFound`, or absent from the list), so nothing
//! embargoed is reachable through them. The lists (`Store::public_page`,
//! `Store::public_cases`) live with the projection they read
//! (`summaries.rs`). They are not audited because what
//! they return is public; the callers render only the record's public
//! facts (the formats never read the report's details).

use jiff::Timestamp;
use psirt_core::{Case, CaseRef};

use crate::{Store, StoreError};

impl Store {
    /// The case, if its advisory is public at `now`.
    pub async fn public_case(
        &self,
        reference: CaseRef,
        now: Timestamp,
    ) -> Result<Case, StoreError> {
        let not_found = || StoreError::NotFound(format!("advisory {reference}"));
        let (_, record) = self.load(reference).await.map_err(|e| match e {
            StoreError::NotFound(_) => not_found(),
            other => other,
        })?;
        match psirt_core::public_at(&record.case) {
            Some(at) if at <= now => Ok(record.case),
            _ => Err(not_found()),
        }
    }
}

//! The cases whose advisories are public, for the public URLs.
//!
//! A case is public from `psirt_core::public_at` on, and not one second
//! before: until then these functions answer exactly as for a case that
//! does not exist (`NotFound`, or absent from the list), so nothing
//! embargoed is reachable through them. They are not audited because what
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

    /// Every case whose advisory is public at `now`, the most recently
    /// published first.
    pub async fn public_cases(&self, now: Timestamp) -> Result<Vec<Case>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut public = Vec::new();
        for id in ids {
            let events = crate::cases::load_events(&self.pool, id).await?;
            let case = Case::from_events(&events)
                .ok_or_else(|| StoreError::Corrupt(format!("case #{id}")))?;
            if psirt_core::public_at(&case).is_some_and(|at| at <= now) {
                public.push(case);
            }
        }
        public.sort_by_key(|c| std::cmp::Reverse((psirt_core::public_at(c), c.reference)));
        Ok(public)
    }
}

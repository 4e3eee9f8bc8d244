//! The core's view of a caller for instance operations (listing, account
//! and project management): the server asks `psirt_core::authorize_instance`
//! with what this returns.

use psirt_core::Actor;

use crate::standing::{Scope, standing};
use crate::{Caller, Store, StoreError};

impl Store {
    pub async fn instance_actor(&self, caller: &Caller) -> Result<Actor, StoreError> {
        let mut conn = self.pool.acquire().await?;
        standing(&mut conn, &caller.principal, Scope::Instance).await
    }

    /// The core's view of a caller for a project's distributors list: its
    /// PST, a current member of one of its organisations, or a person with
    /// no standing there. A page asks `psirt_core::authorize_instance` with
    /// it (say, `ListNotifiedCases`) to choose what to show.
    pub async fn project_actor(&self, caller: &Caller, project: &str) -> Result<Actor, StoreError> {
        let mut conn = self.pool.acquire().await?;
        standing(&mut conn, &caller.principal, Scope::Project(project)).await
    }
}

impl Store {
    /// Who saw or changed a case, and when; only for those whose standing
    /// allows `ViewCaseAudit` on it (the PST of its project).
    pub async fn case_audit(
        &self,
        caller: &Caller,
        reference: psirt_core::CaseRef,
    ) -> Result<Vec<crate::AuditRecord>, StoreError> {
        self.may(caller, reference, psirt_core::Operation::ViewCaseAudit)
            .await?;
        self.audit_show(reference).await
    }
}

impl Store {
    /// Whether `authorize` lets the caller do `operation` on the case:
    /// asked before telling them anything that depends on it (such as
    /// whether an address named in their command has an account).
    pub async fn may(
        &self,
        caller: &Caller,
        reference: psirt_core::CaseRef,
        operation: psirt_core::Operation,
    ) -> Result<(), StoreError> {
        let (_, record) = self.load(reference).await?;
        let actor = crate::standing::actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        psirt_core::authorize(&actor, operation, &record.case)
            .map_err(psirt_core::Refusal::from)?;
        Ok(())
    }

    /// The core's view of a caller relative to one case, so that a page can
    /// ask `psirt_core::authorize` which actions to offer. Offering is not
    /// permitting: `Store::execute` decides again on submit.
    pub async fn case_actor(
        &self,
        caller: &Caller,
        case: &psirt_core::Case,
    ) -> Result<Actor, StoreError> {
        crate::standing::actor(&mut *self.pool.acquire().await?, &caller.principal, case).await
    }
}

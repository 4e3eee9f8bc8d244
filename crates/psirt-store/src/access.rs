//! The core's view of a caller for instance operations (listing, account
//! and project management): the server asks `psirt_core::authorize_instance`
//! with what this returns.

use psirt_core::Actor;

use crate::cases::instance_actor;
use crate::{Caller, Principal, Store, StoreError};

impl Store {
    pub async fn instance_actor(&self, caller: &Caller) -> Result<Actor, StoreError> {
        let pst = match &caller.principal {
            Principal::User(u) => Store::pst_projects(&self.pool, u.id).await?,
            _ => Vec::new(),
        };
        Ok(instance_actor(&caller.principal, &pst))
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
        let (_, record) = self.load(reference).await?;
        let pst = match &caller.principal {
            Principal::User(u) => Store::pst_projects(&self.pool, u.id).await?,
            _ => Vec::new(),
        };
        let actor = crate::cases::actor_for(&caller.principal, &record.case, &pst);
        psirt_core::authorize(&actor, psirt_core::Operation::ViewCaseAudit, &record.case)
            .map_err(psirt_core::Refusal::from)?;
        self.audit_show(reference).await
    }
}

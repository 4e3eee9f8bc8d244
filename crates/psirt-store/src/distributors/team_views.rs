//! What the PST and an organisation's own people read: organisations with
//! their people and timeline, leak counts, what distributors sent back on
//! a case, and where each copy of its pre-notification is.

use psirt_core::{About, CaseRef, Operation, Secret, UserId, authorize_about, authorize_instance};
use sqlx::Row;

use super::{
    Delivery, DistributorOrg, DistributorPerson, Feedback, LeakCount, NotificationStatus, OrgEvent,
    Outcome, deny, instant, org_row, parse_state,
};
use crate::accounts::user_from_row;
use crate::standing::{Scope, standing};
use crate::{Caller, Store, StoreError};

impl Store {
    /// The id of a project's organisation by name (for the command line).
    pub async fn distributor_org_id(&self, project: &str, name: &str) -> Result<i64, StoreError> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM distributor_orgs WHERE project = $1 AND name = $2")
                .bind(project)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        id.ok_or_else(|| StoreError::NotFound(format!("distributor organisation {name:?}")))
    }

    /// One organisation with its people and timeline, for the PST, its
    /// own people (removed ones excepted) and its named voucher: the
    /// applicant sees the outcome and its reason here.
    pub async fn distributor_org(
        &self,
        caller: &Caller,
        org: i64,
    ) -> Result<DistributorOrg, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = org_row(&mut conn, org).await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(&row.project)).await?;
        let me = caller.user().map(|u| u.id.get());
        let own: Option<i64> = match me {
            Some(me) => {
                sqlx::query_scalar(
                    "SELECT id FROM distributor_people WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
                )
                .bind(org)
                .bind(me)
                .fetch_optional(&mut *conn)
                .await?
            }
            None => None,
        };
        drop(conn);
        let about = About {
            org_person: own.is_some(),
            named_voucher: me.is_some() && me == row.voucher,
            ..About::default()
        };
        let decision = authorize_about(&actor, Operation::ViewDistributorOrg, about);
        deny(decision)?;
        self.org_detail(org).await
    }

    /// A project's organisations, for its PST.
    pub async fn distributor_orgs(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Vec<DistributorOrg>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(project)).await?;
        deny(authorize_instance(&actor, Operation::ManageDistributors))?;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM distributor_orgs WHERE project = $1 ORDER BY name")
                .bind(project)
                .fetch_all(&mut *conn)
                .await?;
        drop(conn);
        let mut out = Vec::new();
        for id in ids {
            out.push(self.org_detail(id).await?);
        }
        Ok(out)
    }

    /// The organisations the caller is a person of (removed ones
    /// excepted) or the named voucher of, each as [`Store::distributor_org`]
    /// shows it to them: what the portal lists. Those it would refuse are
    /// left out.
    pub async fn distributor_orgs_of(
        &self,
        caller: &Caller,
    ) -> Result<Vec<DistributorOrg>, StoreError> {
        let Some(user) = caller.user() else {
            return Ok(Vec::new());
        };
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM distributor_orgs WHERE voucher_id = $1 OR id IN \
             (SELECT org_id FROM distributor_people WHERE user_id = $1 AND removed_at IS NULL) \
             ORDER BY name",
        )
        .bind(user.id.get())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for id in ids {
            match self.distributor_org(caller, id).await {
                Ok(org) => out.push(org),
                Err(StoreError::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub(super) async fn org_detail(&self, org: i64) -> Result<DistributorOrg, StoreError> {
        let row = sqlx::query(
            "SELECT id, project, name, list_address, answers, voucher_id, state, reason, applied_at, updated_at \
             FROM distributor_orgs WHERE id = $1",
        )
        .bind(org)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("distributor organisation {org}")))?;
        let answers: String = row.try_get("answers")?;
        let voucher: Option<i64> = row.try_get("voucher_id")?;
        let voucher = match voucher {
            Some(v) => Some(self.user(UserId::new(v)).await?),
            None => None,
        };
        let people = sqlx::query(
            "SELECT p.id AS person, p.added_at, p.accepted_at, p.accepted_via, p.removed_at, \
             p.given_name, p.proposed_fingerprint, \
             u.id, u.email, u.name, u.is_admin, (SELECT COUNT(*) FROM openpgp_keys k WHERE k.email = u.email) AS key_count \
             FROM distributor_people p JOIN users u ON u.id = p.user_id WHERE p.org_id = $1 ORDER BY u.email",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let accepted: Option<i64> = r.try_get("accepted_at")?;
            let removed: Option<i64> = r.try_get("removed_at")?;
            let user = user_from_row(r)?;
            let given: Option<String> = r.try_get("given_name")?;
            Ok(DistributorPerson {
                id: r.try_get("person")?,
                name: given.unwrap_or_else(|| user.name.clone()),
                user,
                key_pending: r.try_get("proposed_fingerprint")?,
                added_at: instant(r.try_get("added_at")?)?,
                accepted_at: accepted.map(instant).transpose()?,
                accepted_via: r.try_get("accepted_via")?,
                removed_at: removed.map(instant).transpose()?,
                has_key: r.try_get::<i64, _>("key_count")? > 0,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let timeline = sqlx::query(
            "SELECT at, actor, kind, detail FROM org_events WHERE org_id = $1 ORDER BY seq",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(OrgEvent {
                at: instant(r.try_get("at")?)?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(DistributorOrg {
            id: row.try_get("id")?,
            project: row.try_get("project")?,
            name: row.try_get("name")?,
            list_address: row.try_get("list_address")?,
            answers: serde_json::from_str(&answers)
                .map_err(|e| StoreError::Corrupt(format!("answers of organisation {org}: {e}")))?,
            voucher,
            state: parse_state(&row.try_get::<String, _>("state")?)?,
            reason: row.try_get("reason")?,
            applied_at: instant(row.try_get("applied_at")?)?,
            updated_at: instant(row.try_get("updated_at")?)?,
            people,
            timeline,
        })
    }

    /// Leaks per organisation of a project, most first, for the PST.
    pub async fn leak_counts(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Vec<LeakCount>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(project)).await?;
        deny(authorize_instance(&actor, Operation::ManageDistributors))?;
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.state, COUNT(l.id) AS leaks FROM distributor_orgs o \
             LEFT JOIN distributor_leaks l ON l.responsible_org = o.id \
             WHERE o.project = $1 GROUP BY o.id, o.name, o.state ORDER BY COUNT(l.id) DESC, o.name",
        )
        .bind(project)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LeakCount {
                    org_id: r.try_get("id")?,
                    organisation: r.try_get("name")?,
                    state: parse_state(&r.try_get::<String, _>("state")?)?,
                    leaks: r.try_get::<i64, _>("leaks")? as u64,
                })
            })
            .collect()
    }

    /// What distributors sent back on a case (feedback and answers), for
    /// the team. Audited.
    pub async fn distributor_feedback(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<Feedback>, StoreError> {
        self.audited_case_rows(
            caller,
            reference,
            Operation::ViewDistributorFeedback,
            "distributor.feedback.view",
            "SELECT f.id, o.name, u.email, f.at, f.kind, f.outcome, f.request_id, f.text FROM distributor_feedback f \
             JOIN distributor_orgs o ON o.id = f.org_id JOIN users u ON u.id = f.user_id \
             WHERE f.case_id = $1 ORDER BY f.id",
        )
        .await?
        .iter()
        .map(|r| {
            let outcome: Option<String> = r.try_get("outcome")?;
            let email: String = r.try_get("email")?;
            Ok(Feedback {
                id: r.try_get("id")?,
                organisation: r.try_get("name")?,
                by: email
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                at: instant(r.try_get("at")?)?,
                kind: r.try_get("kind")?,
                outcome: outcome.as_deref().and_then(Outcome::parse),
                request: r.try_get("request_id")?,
                text: Secret::new(r.try_get("text")?),
            })
        })
        .collect()
    }

    /// Per person with a copy of the case's pre-notification: notified,
    /// pending, or not notified with the reason (a member without a usable
    /// key is never sent anything). For those who may see the case's mail.
    pub async fn distributor_notifications(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<NotificationStatus>, StoreError> {
        self.audited_case_rows(
            caller,
            reference,
            Operation::ViewMail,
            "distributor.notifications.view",
            "SELECT COALESCE(d.name, '') AS org, m.recipient, m.state, m.last_error FROM outbox m \
             LEFT JOIN distributor_people p ON p.id = m.distributor_person_id \
             LEFT JOIN distributor_orgs d ON d.id = p.org_id \
             WHERE m.case_id = $1 AND m.kind = 'pre_notification' ORDER BY d.name, m.recipient",
        )
        .await?
        .iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            let error: Option<String> = r.try_get("last_error")?;
            let delivery = match state.as_str() {
                "sent" => Delivery::Notified,
                "draft" | "queued" | "sending" => Delivery::Pending,
                "discarded" => {
                    Delivery::NotNotified(error.unwrap_or_else(|| "the draft was discarded".into()))
                }
                _ => Delivery::NotNotified(error.unwrap_or_else(|| state.clone())),
            };
            Ok(NotificationStatus {
                organisation: r.try_get("org")?,
                email: r.try_get("recipient")?,
                delivery,
            })
        })
        .collect()
    }
}

//! An organisation's steps after its application: the voucher's answer,
//! each person's acceptance of the embargo policy, the PST's decisions,
//! people added and removed. Each is load (the fold of the organisation's
//! events) → `decide_org` → append the changes as the next event and apply
//! them to the rows, in one transaction with its audit entry.

use std::borrow::Cow;

use jiff::Timestamp;
use psirt_core::distributors::{OrgChange, OrgCommand, OrgState, decide_org};
use psirt_core::{Actor, UserId};
use sqlx::AnyConnection;

use super::apply::{add_person, confirm_proposed_key, ensure_user};
use super::events::load_org;
use super::{DistributorOrg, NewPerson, OrgDecision, OrgRow, Who, lock_org, record};
use crate::standing::{Scope, standing};
use crate::{Caller, Principal, Store, StoreError, micros};

/// What applying an organisation's changes did, for its timeline.
#[derive(Default)]
struct Applied {
    discarded: u64,
    ended: crate::sessions::Revoked,
    /// Words about the key confirmed on acceptance.
    key: String,
}

impl Store {
    /// The voucher confirms, with an optional reason. Only the member the
    /// application names may.
    pub async fn vouch_distributor(
        &self,
        caller: &Caller,
        org: i64,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let reason = reason.map(super::reason).transpose()?;
        self.run_org(caller, org, OrgCommand::Vouch { reason }, now)
            .await
    }

    /// The voucher declines, with a reason the applicant sees. Only the
    /// member the application names may.
    pub async fn decline_distributor(
        &self,
        caller: &Caller,
        org: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let reason = super::reason(reason)?;
        self.run_org(caller, org, OrgCommand::Decline { reason }, now)
            .await
    }

    /// The caller accepts the embargo policy for themself, as a person of
    /// `org`. Until they do, they see nothing and are sent nothing.
    pub async fn accept_embargo_policy(
        &self,
        caller: &Caller,
        org: i64,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        self.run_org(caller, org, OrgCommand::AcceptPolicy, now)
            .await
    }

    /// The PST's decision: approve (after the voucher confirmed and at
    /// least one person accepted the policy), reject, suspend, reinstate or
    /// remove, each but approval with a reason the applicant sees.
    /// Suspension and removal discard the people's pending pre-notification
    /// copies in the same transaction.
    pub async fn decide_distributor(
        &self,
        caller: &Caller,
        org: i64,
        decision: OrgDecision,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        use super::reason as text;
        let command = match decision {
            OrgDecision::Approve => OrgCommand::Approve,
            OrgDecision::Reject { reason } => OrgCommand::Reject {
                reason: text(&reason)?,
            },
            OrgDecision::Suspend { reason } => OrgCommand::Suspend {
                reason: text(&reason)?,
            },
            OrgDecision::Reinstate { reason } => OrgCommand::Reinstate {
                reason: text(&reason)?,
            },
            OrgDecision::Remove { reason } => OrgCommand::Remove {
                reason: text(&reason)?,
            },
        };
        self.run_org(caller, org, command, now).await
    }

    /// A current member adds a person of their own team; the person sees
    /// nothing until they accept the policy themself.
    pub async fn add_distributor_person(
        &self,
        caller: &Caller,
        org: i64,
        person: NewPerson,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let checked =
            psirt_core::distributors::check_person(person.proposed()).map_err(super::refused)?;
        let person = NewPerson {
            name: checked.name,
            ..person
        };
        let mut tx = self.write().await?;
        let row = lock_org(&mut tx, self.backend, org).await?;
        let who = Who::of(caller);
        // The account first (rolled back with the rest on a refusal), so
        // that the core can tell whether it is already one of the people.
        let user = ensure_user(&mut tx, self.backend, &who, &person, now).await?;
        let command = OrgCommand::AddPerson {
            user,
            email: person.email.clone(),
        };
        let actor = org_actor(&mut tx, caller, &row).await?;
        let changes =
            decide_org(&load_org(&mut tx, &row).await?, &actor, command).map_err(super::refused)?;
        debug_assert!(matches!(changes[..], [OrgChange::PersonAdded { .. }]));
        // The person's row (with the name and key given for them) is
        // written here, not by `apply_org`, which knows neither.
        let by = caller.user().map(|u| u.id);
        add_person(&mut tx, org, &person, user, by, now).await?;
        let named = (org, row.name.as_str(), row.project.as_str());
        self.invite_person(&mut tx, &who, named, &person, user, now)
            .await?;
        record(
            &mut tx,
            self.backend,
            caller,
            org,
            "person_added",
            &changes,
            format!("{} added", person.email),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// Removes a person, by a current member of the organisation or the
    /// PST; their pending copies are discarded at once.
    pub async fn remove_distributor_person(
        &self,
        caller: &Caller,
        org: i64,
        email: &psirt_core::EmailAddress,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let email = email.clone();
        self.run_org(caller, org, OrgCommand::RemovePerson { email }, now)
            .await
    }

    /// One command on one organisation: load, decide, apply, record.
    /// Ends every acceptance of the embargo policy that ran out at `now`
    /// (each project's `embargo_acceptance_valid_for` since the person
    /// accepted), as psirt itself: the person stays one of the people,
    /// sees nothing of the list until they accept again through the usual
    /// route, and their pending pre-notification copies are discarded.
    /// Each lapse is the organisation's event and an audit entry, in its
    /// own transaction. Returns how many lapsed. The reminders job calls
    /// it each round, so a lapse takes effect within a round of its time.
    pub async fn lapse_embargo_acceptances(&self, now: Timestamp) -> Result<usize, StoreError> {
        let caller = Caller::new(Principal::System, "embargo policy acceptance");
        let mut lapsed = 0;
        for project in self.projects().await? {
            let policy = self.project_policy(&project.slug).await?;
            let Some(valid_for) = policy.embargo_acceptance_valid_for else {
                continue;
            };
            let cutoff = now
                .checked_sub(valid_for.to_signed())
                .unwrap_or(Timestamp::MIN);
            let due: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT p.org_id, p.user_id FROM distributor_people p \
                 JOIN distributor_orgs o ON o.id = p.org_id \
                 WHERE o.project = $1 AND p.removed_at IS NULL \
                 AND p.accepted_at IS NOT NULL AND p.accepted_at <= $2 \
                 ORDER BY p.org_id, p.user_id",
            )
            .bind(&project.slug)
            .bind(micros(cutoff))
            .fetch_all(&self.pool)
            .await?;
            for (org, user) in due {
                let mut tx = self.write().await?;
                let row = lock_org(&mut tx, self.backend, org).await?;
                let current = load_org(&mut tx, &row).await?;
                // Read again under the write lock: they may have accepted
                // anew since the list above was read.
                let accepted_at: Option<i64> = sqlx::query_scalar(
                    "SELECT accepted_at FROM distributor_people \
                     WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
                )
                .bind(org)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
                let Some(accepted_at) = accepted_at else {
                    continue;
                };
                let command = OrgCommand::LapseAcceptance {
                    user: UserId::new(user),
                    accepted_at: super::instant(accepted_at)?,
                    valid_for,
                    now,
                };
                let changes = match decide_org(&current, &Actor::System, command) {
                    Ok(changes) => changes,
                    // Accepted again meanwhile: nothing ran out.
                    Err(psirt_core::Refusal::Rule(
                        psirt_core::Rule::AcceptanceStillValid { .. }
                        | psirt_core::Rule::NotAPerson { .. },
                    )) => continue,
                    Err(refusal) => return Err(super::refused(refusal)),
                };
                let applied = self
                    .apply_org(&mut tx, &caller, &row, &changes, now)
                    .await?;
                let email = current
                    .current_person(UserId::new(user))
                    .map(|p| p.email.to_string())
                    .unwrap_or_default();
                let detail = format!(
                    "{email}'s acceptance of the embargo policy lapsed after {valid_for} ({} pending copies discarded)",
                    applied.discarded
                );
                let backend = self.backend;
                record(
                    &mut tx,
                    backend,
                    &caller,
                    org,
                    "acceptance_lapsed",
                    &changes,
                    detail,
                    None,
                    now,
                )
                .await?;
                tx.commit().await?;
                lapsed += 1;
            }
        }
        Ok(lapsed)
    }

    async fn run_org(
        &self,
        caller: &Caller,
        org: i64,
        command: OrgCommand,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let mut tx = self.write().await?;
        let row = lock_org(&mut tx, self.backend, org).await?;
        let current = load_org(&mut tx, &row).await?;
        let actor = match command {
            // An organisation's own people are managed by its own members.
            OrgCommand::RemovePerson { .. } => org_actor(&mut tx, caller, &row).await?,
            _ => standing(&mut tx, &caller.principal, Scope::Project(&row.project)).await?,
        };
        let removed = match &command {
            OrgCommand::RemovePerson { email } => Some(email.clone()),
            _ => None,
        };
        let changes = decide_org(&current, &actor, command).map_err(super::refused)?;
        let applied = self.apply_org(&mut tx, caller, &row, &changes, now).await?;
        let (kind, detail) = timeline(&changes, &applied, caller, removed);
        let backend = self.backend;
        record(
            &mut tx, backend, caller, org, &kind, &changes, detail, None, now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// Writes what `decide_org` returned to the projection's rows (and
    /// its consequences to the outbox and the sessions); the changes
    /// themselves become the organisation's event in [`record`].
    async fn apply_org(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        row: &OrgRow,
        changes: &[OrgChange],
        now: Timestamp,
    ) -> Result<Applied, StoreError> {
        let mut applied = Applied::default();
        for change in changes {
            match change {
                OrgChange::Moved { to, reason, .. } => {
                    sqlx::query(
                        "UPDATE distributor_orgs SET state = $1, reason = COALESCE($2, reason), \
                         updated_at = $3 WHERE id = $4",
                    )
                    .bind(to.as_str())
                    .bind(reason.as_ref().map(|r| r.to_string()))
                    .bind(micros(now))
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                }
                OrgChange::PolicyAccepted { user } => {
                    let person: i64 = sqlx::query_scalar(
                        "UPDATE distributor_people SET accepted_at = $1, accepted_via = 'self' \
                         WHERE org_id = $2 AND user_id = $3 RETURNING id",
                    )
                    .bind(micros(now))
                    .bind(row.id)
                    .bind(user.get())
                    .fetch_one(&mut *tx)
                    .await?;
                    let account = caller
                        .user()
                        .expect("decide_org: the person accepting is the caller");
                    applied.key =
                        confirm_proposed_key(tx, self.backend, caller, account, person, now)
                            .await?;
                }
                OrgChange::PersonAdded { .. } => {
                    // Written by `add_distributor_person`, which holds the
                    // name and key given for them.
                }
                OrgChange::Applied { .. }
                | OrgChange::Founded { .. }
                | OrgChange::FeedbackRecorded { .. }
                | OrgChange::HelpAnswered { .. }
                | OrgChange::LeakBlamed { .. } => {
                    // Not returned by `decide_org`: an organisation is
                    // opened by `apply.rs`, and what it does on a case is
                    // written by `portal.rs`.
                }
                OrgChange::AcceptanceLapsed { user } => {
                    sqlx::query(
                        "UPDATE distributor_people SET accepted_at = NULL, accepted_via = NULL \
                         WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
                    )
                    .bind(row.id)
                    .bind(user.get())
                    .execute(&mut *tx)
                    .await?;
                }
                OrgChange::PersonRemoved { user } => {
                    sqlx::query(
                        "UPDATE distributor_people SET removed_at = $1 \
                         WHERE org_id = $2 AND user_id = $3 AND removed_at IS NULL",
                    )
                    .bind(micros(now))
                    .bind(row.id)
                    .bind(user.get())
                    .execute(&mut *tx)
                    .await?;
                }
                OrgChange::PendingDiscarded { person, reason } => {
                    applied.discarded +=
                        crate::outbox::discard_pending(tx, row.id, *person, reason).await?;
                }
                OrgChange::AccessEnded { user } => {
                    let one = crate::sessions::end_access_of(tx, *user, now).await?;
                    applied.ended.sessions += one.sessions;
                    applied.ended.tokens += one.tokens;
                }
            }
        }
        Ok(applied)
    }
}

/// The caller's standing on the organisation itself: its PST, or a
/// current member of that organisation.
async fn org_actor(
    tx: &mut AnyConnection,
    caller: &Caller,
    row: &OrgRow,
) -> Result<Actor, StoreError> {
    let scope = Scope::Org {
        project: &row.project,
        org: row.id,
    };
    standing(tx, &caller.principal, scope).await
}

/// The timeline's kind and words for what a command changed.
fn timeline(
    changes: &[OrgChange],
    applied: &Applied,
    caller: &Caller,
    removed: Option<psirt_core::EmailAddress>,
) -> (Cow<'static, str>, String) {
    let Applied {
        discarded, ended, ..
    } = applied;
    match changes.first() {
        Some(OrgChange::Moved { to, kind, note, .. }) => {
            let mut detail = note.clone();
            if matches!(to, OrgState::Suspended | OrgState::Removed) {
                detail = format!("{detail} ({discarded} pending copies discarded)");
            }
            if *to == OrgState::Removed {
                detail = format!(
                    "{detail} ({} session(s) and {} token(s) of its people ended)",
                    ended.sessions, ended.tokens
                );
            }
            (kind.clone(), detail)
        }
        Some(OrgChange::PolicyAccepted { .. }) => {
            let email = caller
                .user()
                .map(|u| u.email.to_string())
                .unwrap_or_default();
            (
                "accepted".into(),
                format!("{email} accepted the embargo policy{}", applied.key),
            )
        }
        Some(OrgChange::PersonRemoved { .. }) => (
            "person_removed".into(),
            format!(
                "{} removed ({discarded} pending copies discarded; {} session(s) and {} token(s) ended)",
                removed.map(|e| e.to_string()).unwrap_or_default(),
                ended.sessions,
                ended.tokens
            ),
        ),
        _ => ("changed".into(), String::new()),
    }
}

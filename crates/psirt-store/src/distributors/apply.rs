//! Applications to the list, founding members, and the people an
//! organisation names: their accounts (made through `accounts.rs`), their
//! invitations and the keys named for them.

use jiff::Timestamp;
use psirt_core::distributors::{
    MAX_NAME, ProposedPerson, check_application, check_founding, check_text, check_voucher,
    enrol_founding, open_application,
};
use psirt_core::{Operation, UserId, authorize_instance};
use sqlx::{AnyConnection, Row};

use super::events::{EventMeta, append_event, load_org};
use super::{Application, DistributorOrg, NewPerson, Who, deny, lock_org, record, refused};
use crate::accounts::User;
use crate::audit::{self, AuditEntry};
use crate::keys::CheckedKey;
use crate::standing::{audit_actor, member_orgs};
use crate::{Caller, Store, StoreError, micros};

impl Store {
    /// Takes in an application: validates every field first (nothing is
    /// written on a refusal), creates accounts for the named people who
    /// have none, keeps their keys on file, and puts "applied" on the
    /// organisation's timeline. The voucher must be a current member of
    /// another organisation on the project's list.
    pub async fn apply_distributor(
        &self,
        caller: &Caller,
        application: Application,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        deny(authorize_instance(
            &crate::standing::instance_actor(&caller.principal, &[]),
            Operation::ApplyAsDistributor,
        ))?;
        let proposed: Vec<ProposedPerson<'_>> =
            application.people.iter().map(NewPerson::proposed).collect();
        let checked = check_application(&application.organisation, &application.answers, &proposed)
            .map_err(refused)?;
        let name = checked.organisation;
        let answers = checked.answers;
        let people: Vec<NewPerson> = application
            .people
            .iter()
            .zip(checked.people)
            .map(|(p, c)| NewPerson {
                name: c.name,
                ..p.clone()
            })
            .collect();
        let mut tx = self.write().await?;
        if !crate::accounts::project_exists(&mut tx, &application.project).await? {
            return Err(StoreError::Invalid {
                field: "project",
                reason: format!("there is no project {:?}", application.project),
            });
        }
        let voucher: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = LOWER($1)")
                .bind(application.voucher.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let voucher_member = match voucher {
            Some(v) => !member_orgs(&mut tx, UserId::new(v), &application.project)
                .await?
                .is_empty(),
            None => false,
        };
        check_voucher(
            &application.project,
            &application.voucher,
            voucher_member,
            &proposed,
        )
        .map_err(refused)?;
        let answers_json =
            serde_json::to_string(&answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_orgs (project, name, list_address, answers, voucher_id, state, applied_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'applied', $6, $6) RETURNING id",
        )
        .bind(&application.project)
        .bind(&name)
        .bind(application.list_address.as_ref().map(|a| a.to_string()))
        .bind(answers_json)
        .bind(voucher)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::duplicate(
                e,
                format!("an organisation {name:?} on {}'s list", application.project),
            )
        })?;
        let mut named = Vec::new();
        for person in &people {
            let who = Who::of(caller);
            let user = ensure_user(&mut tx, self.backend, &who, person, now).await?;
            add_person(&mut tx, id, person, user, None, now).await?;
            let org = (id, name.as_str(), application.project.as_str());
            self.invite_person(&mut tx, &Who::of(caller), org, person, user, now)
                .await?;
            named.push((user, person.email.clone()));
        }
        let voucher = voucher.expect("check_voucher: the voucher has an account");
        let changes = open_application(&name, UserId::new(voucher), &named);
        let emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
        record(
            &mut tx,
            self.backend,
            caller,
            id,
            "applied",
            &changes,
            format!(
                "{name} applied for {}, naming {}; voucher {}",
                application.project,
                emails.join(", "),
                application.voucher
            ),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(id).await
    }

    /// Enrols a founding member: someone already on the project's list
    /// before psirt (criterion 7 needs a first member to vouch for the
    /// others). The local administrator on the command line records the
    /// organisation as approved and the person's acceptance as given
    /// before psirt (`accepted_via = founding`), on the timeline and in
    /// the audit log. No access check, like account creation.
    pub async fn found_distributor(
        &self,
        project: &str,
        organisation: &str,
        person: NewPerson,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let name = check_text("organisation", organisation, MAX_NAME).map_err(refused)?;
        let person_name = check_text("person_name", &person.name, MAX_NAME).map_err(refused)?;
        let entry = self.account_entry("distributor.founding", String::new());
        let who = Who {
            actor: entry.actor.clone(),
            origin: entry.origin.clone(),
        };
        let mut tx = self.write().await?;
        if !crate::accounts::project_exists(&mut tx, project).await? {
            return Err(StoreError::NotFound(format!("project {project:?}")));
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM distributor_orgs WHERE project = $1 AND name = $2")
                .bind(project)
                .bind(&name)
                .fetch_optional(&mut *tx)
                .await?;
        // The organisation as its events say, checked before anything is
        // written (the core decides again with the person's account below).
        let folded = match existing {
            Some(id) => {
                let row = lock_org(&mut tx, self.backend, id).await?;
                let org = load_org(&mut tx, &row).await?;
                check_founding(&org.name, org.state).map_err(refused)?;
                Some(org)
            }
            None => None,
        };
        let org = match existing {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO distributor_orgs (project, name, answers, state, reason, applied_at, updated_at) \
                     VALUES ($1, $2, '[]', 'approved', 'founding member, on the list before psirt', $3, $3) RETURNING id",
                )
                .bind(project)
                .bind(&name)
                .bind(micros(now))
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let person = NewPerson {
            name: person_name,
            ..person
        };
        let user = ensure_user(&mut tx, self.backend, &who, &person, now).await?;
        add_person(&mut tx, org, &person, user, None, now).await?;
        self.invite_person(
            &mut tx,
            &who,
            (org, name.as_str(), project),
            &person,
            user,
            now,
        )
        .await?;
        if let Some(key) = &person.key {
            // The local administrator vouches for a founding member's key.
            crate::keys::put_key_in(
                &mut tx,
                self.backend,
                (&who.actor, &who.origin),
                &person.email,
                key,
                now,
            )
            .await?;
            sqlx::query(
                "UPDATE distributor_people SET proposed_fingerprint = NULL, proposed_key = NULL \
                 WHERE org_id = $1 AND user_id = $2",
            )
            .bind(org)
            .bind(user.get())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE distributor_people SET accepted_at = $1, accepted_via = 'founding' WHERE org_id = $2 AND user_id = $3",
        )
        .bind(micros(now))
        .bind(org)
        .bind(user.get())
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "{} enrolled as a founding member of {name}; acceptance given before psirt",
            person.email
        );
        let changes =
            enrol_founding(folded.as_ref(), &name, user, &person.email).map_err(refused)?;
        let actor = entry.actor.clone();
        // The audit entry first, as `record` does: its head lock orders
        // the writers on PostgreSQL, so the event's `seq` is this one's.
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry {
                detail: format!("organisation {org}: {detail}"),
                ..entry
            },
        )
        .await?;
        let meta = EventMeta {
            kind: "founding",
            actor: &actor,
            at: now,
            detail: &detail,
        };
        append_event(&mut tx, org, &changes, meta).await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// Invites a person just named on `(org, name, project)`'s list to set
    /// a password and sign in (unless they can already), encrypted to the
    /// key they gave.
    pub(super) async fn invite_person(
        &self,
        tx: &mut AnyConnection,
        who: &Who,
        (org, name, project): (i64, &str, &str),
        person: &NewPerson,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.invite(
            tx,
            crate::invitations::Invite {
                user,
                email: &person.email,
                name: &person.name,
                project,
                purpose: crate::invitations::Purpose::Distributor { org },
                what: name,
                key: person.key.as_ref().map(|k| k.armored()),
                by: (&who.actor, &who.origin),
            },
            now,
        )
        .await
    }
}

/// The account for `email`, created (without a token or password) when
/// there is none, so that the person can be given a way to sign in.
pub(super) async fn ensure_user(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    who: &Who,
    person: &NewPerson,
    now: Timestamp,
) -> Result<UserId, StoreError> {
    let (email, name) = (&person.email, person.name.as_str());
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = LOWER($1)")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(id) = id {
        return Ok(UserId::new(id));
    }
    let id = crate::accounts::insert_user(tx, email, name, false, now).await?;
    audit::append(
        tx,
        backend,
        &AuditEntry {
            actor: who.actor.clone(),
            action: "user.add".into(),
            case: None,
            origin: who.origin.clone(),
            detail: format!("user {id} {email}, distributor"),
        },
    )
    .await?;
    Ok(UserId::new(id))
}

/// Adds (or brings back) a person: they must accept the policy again.
/// The name and key given are kept with this organisation's row only: an
/// existing account's name and key on file never change here (the key
/// becomes the key on file when the person confirms it, signed in, by
/// accepting the embargo policy).
pub(super) async fn add_person(
    tx: &mut AnyConnection,
    org: i64,
    person: &NewPerson,
    user: UserId,
    added_by: Option<UserId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let existing: Option<(i64, Option<i64>)> = sqlx::query(
        "SELECT id, removed_at FROM distributor_people WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org)
    .bind(user.get())
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> Result<_, sqlx::Error> { Ok((r.try_get("id")?, r.try_get("removed_at")?)) })
    .transpose()?;
    match existing {
        Some((_, None)) => {
            return Err(StoreError::Duplicate(format!(
                "{} in this organisation",
                person.email
            )));
        }
        Some((id, Some(_))) => {
            sqlx::query(
                "UPDATE distributor_people SET removed_at = NULL, accepted_at = NULL, accepted_via = NULL, \
                 added_at = $1, added_by = $2, given_name = $3, proposed_fingerprint = $4, proposed_key = $5 \
                 WHERE id = $6",
            )
            .bind(micros(now))
            .bind(added_by.map(UserId::get))
            .bind(&person.name)
            .bind(person.key.as_ref().map(|k| k.fingerprint().to_string()))
            .bind(person.key.as_ref().map(|k| k.armored().to_string()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO distributor_people (org_id, user_id, added_at, added_by, given_name, proposed_fingerprint, proposed_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org)
            .bind(user.get())
            .bind(micros(now))
            .bind(added_by.map(UserId::get))
            .bind(&person.name)
            .bind(person.key.as_ref().map(|k| k.fingerprint().to_string()))
            .bind(person.key.as_ref().map(|k| k.armored().to_string()))
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// The person, signed in and accepting the policy, confirms the key their
/// organisation named for them: it becomes their key on file unless they
/// already have one (which they change themself, `PUT
/// /api/v1/me/openpgp-key`). Returns words for the timeline.
pub(super) async fn confirm_proposed_key(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    caller: &Caller,
    user: &User,
    person: i64,
    now: Timestamp,
) -> Result<String, StoreError> {
    let proposed = sqlx::query(
        "SELECT proposed_fingerprint, proposed_key FROM distributor_people WHERE id = $1",
    )
    .bind(person)
    .fetch_one(&mut *tx)
    .await?;
    let fingerprint: Option<String> = proposed.try_get("proposed_fingerprint")?;
    let armored: Option<String> = proposed.try_get("proposed_key")?;
    let (Some(fingerprint), Some(armored)) = (fingerprint, armored) else {
        return Ok(String::new());
    };
    // Checked when it was named; checked again as it comes back from
    // the database, so nothing here takes two strings on trust.
    let key = CheckedKey::new(&fingerprint, &armored)
        .map_err(|e| StoreError::Corrupt(format!("key named for person {person}: {e}")))?;
    sqlx::query(
        "UPDATE distributor_people SET proposed_fingerprint = NULL, proposed_key = NULL WHERE id = $1",
    )
    .bind(person)
    .execute(&mut *tx)
    .await?;
    let on_file: Option<String> =
        sqlx::query_scalar("SELECT fingerprint FROM openpgp_keys WHERE email = $1")
            .bind(user.email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    match on_file {
        Some(on_file) if on_file == fingerprint => Ok(format!("; key {fingerprint} on file")),
        Some(on_file) => Ok(format!(
            "; kept their key on file {on_file}, not {fingerprint} named for them"
        )),
        None => {
            let actor = audit_actor(&caller.principal);
            crate::keys::put_key_in(
                tx,
                backend,
                (&actor, &caller.origin),
                &user.email,
                &key,
                now,
            )
            .await?;
            Ok(format!("; confirmed key {fingerprint}"))
        }
    }
}

//! Invitations: a one-time link, valid for the project policy's
//! `invitation_valid_for`, with which a person named on the distributors
//! list (in an application, by a member of their team, or as a founding
//! member) or added to a PST sets their password and signs in, without an
//! administrator issuing them a token.
//!
//! The link goes out through the outbox in the same transaction as the
//! change that names the person, encrypted to the key they gave when they
//! gave one (`outbox.recipient_key`: the key is not on file until they
//! confirm it). Only the SHA-256 of the link's token is kept. An account
//! that can already sign in (a password, or a live API token) is not
//! invited.

use jiff::Timestamp;
use psirt_core::{EmailAddress, MailKind, Operation, UserId};
use sqlx::{AnyConnection, Row};

use crate::accounts::{ApiToken, User, token_hash, user_from_row};
use crate::audit::{self, AuditEntry};
use crate::{Caller, Principal, Store, StoreError, micros};

/// Why someone is invited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A person of an organisation on the project's distributors list.
    Distributor { org: i64 },
    /// A new member of the project's PST.
    Pst,
}

/// Who is invited, to what, by whom.
pub(crate) struct Invite<'a> {
    pub user: UserId,
    pub email: &'a EmailAddress,
    pub name: &'a str,
    pub project: &'a str,
    pub purpose: Purpose,
    /// Where it is told: the organisation's name, for a distributor.
    pub what: &'a str,
    /// The key the person gave, to encrypt the link to.
    pub key: Option<&'a str>,
    /// `(actor, origin)` for the audit log.
    pub by: (&'a str, &'a str),
}

/// A pending invitation, as the PST sees it (never its link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub name: String,
    /// `distributor` or `pst`.
    pub purpose: String,
    pub organisation: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Past `expires_at` and never used: the person needs a new one.
    pub expired: bool,
}

/// What accepting an invitation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invited {
    pub user: User,
    /// Where they start: `distributor` or `pst`.
    pub purpose: String,
}

fn instant(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("instant: {e}")))
}

impl Store {
    /// Writes an invitation and its mail in `tx`, unless the account can
    /// already sign in (it has a password). Returns whether it did.
    pub(crate) async fn invite(
        &self,
        tx: &mut AnyConnection,
        invite: Invite<'_>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        // Someone who can sign in already (a password, or a live API token
        // an administrator gave them) needs no invitation.
        let can_sign_in: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users WHERE id = $1 AND password_hash IS NOT NULL) \
                  + (SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL)",
        )
        .bind(invite.user.get())
        .fetch_one(&mut *tx)
        .await?;
        if can_sign_in > 0 {
            return Ok(false);
        }
        let policy: String = sqlx::query_scalar("SELECT policy FROM projects WHERE slug = $1")
            .bind(invite.project)
            .fetch_one(&mut *tx)
            .await?;
        let policy: psirt_core::Policy = serde_json::from_str(&policy)
            .map_err(|e| StoreError::Corrupt(format!("policy of {}: {e}", invite.project)))?;
        let expires_at = now
            .saturating_add(policy.invitation_valid_for.to_signed())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let token = ApiToken::generate()?;
        let (purpose, org) = match invite.purpose {
            Purpose::Distributor { org } => ("distributor", Some(org)),
            Purpose::Pst => ("pst", None),
        };
        sqlx::query(
            "INSERT INTO invitations (token_hash, user_id, project, purpose, org_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash(token.reveal()))
        .bind(invite.user.get())
        .bind(invite.project)
        .bind(purpose)
        .bind(org)
        .bind(micros(now))
        .bind(micros(expires_at))
        .execute(&mut *tx)
        .await?;
        let project = invite.project;
        let role = match invite.purpose {
            Purpose::Distributor { .. } => format!(
                "{} named you as one of its people on the {project} private distributors list",
                invite.what
            ),
            Purpose::Pst => format!("You were added to the {project} Product Security Team"),
        };
        let link = format!("{}/invitations/{}", self.public_url, token.reveal());
        let body = format!(
            "{role}.\n\nSet your password and sign in here, once, before {} UTC:\n\n{link}\n\n\
             After that, sign in with your address ({}) and that password. If you did not expect \
             this, ignore it: nothing happens until the link is used.\n",
            expires_at.strftime("%Y-%m-%d %H:%M"),
            invite.email
        );
        let message_id = crate::outbox::new_message_id("invitation", &self.mail_domain)?;
        sqlx::query(
            "INSERT INTO outbox (case_id, kind, message_id, recipient, recipient_name, subject, body, encrypt_only, recipient_key, state, attempts, next_attempt_at, created_at) \
             VALUES (NULL, $1, $2, $3, $4, $5, $6, 0, $7, 'queued', 0, $8, $8)",
        )
        .bind(MailKind::Invitation.as_str())
        .bind(message_id)
        .bind(invite.email.as_str())
        .bind(invite.name)
        .bind(format!("Your invitation to psirt ({project})"))
        .bind(body)
        .bind(invite.key)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        audit::append(
            tx,
            self.backend,
            &AuditEntry {
                actor: invite.by.0.to_string(),
                action: "invitation.create".into(),
                case: None,
                origin: invite.by.1.to_string(),
                detail: format!(
                    "user {} {}, {purpose} on {project}, until {expires_at}",
                    invite.user.get(),
                    invite.email
                ),
            },
        )
        .await?;
        Ok(true)
    }

    /// Sets the password of the invitation's account and uses the link up.
    /// An unknown link is not found; a used or expired one says so and
    /// what to do.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        origin: &str,
        now: Timestamp,
    ) -> Result<Invited, StoreError> {
        let hash = crate::sessions::hash_password(password)?;
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT i.id AS invitation, i.purpose, i.expires_at, i.used_at, u.id, u.email, u.name, u.is_admin \
             FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound("an invitation with this link".into()))?;
        let used: Option<i64> = row.try_get("used_at")?;
        if let Some(used) = used {
            return Err(StoreError::Gone(format!(
                "this invitation was used on {}: sign in with your address and password, or ask for a new one",
                instant(used)?.strftime("%Y-%m-%d %H:%M UTC")
            )));
        }
        let expires = instant(row.try_get("expires_at")?)?;
        if now >= expires {
            return Err(StoreError::Gone(format!(
                "this invitation expired on {}: ask the security team (or the person who added you) for a new one",
                expires.strftime("%Y-%m-%d %H:%M UTC")
            )));
        }
        let user = user_from_row(&row)?;
        let invitation: i64 = row.try_get("invitation")?;
        let purpose: String = row.try_get("purpose")?;
        sqlx::query("UPDATE invitations SET used_at = $1 WHERE id = $2")
            .bind(micros(now))
            .bind(invitation)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.id.get())
            .execute(&mut *tx)
            .await?;
        crate::sessions::end_sessions_of(&mut tx, user.id).await?;
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry {
                actor: crate::standing::audit_actor(&Principal::User(user.clone())),
                action: "invitation.accept".into(),
                case: None,
                origin: origin.to_string(),
                detail: format!("invitation {invitation}; password set"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Invited { user, purpose })
    }

    /// The project's invitations not used yet, newest first, for its PST.
    pub async fn pending_invitations(
        &self,
        caller: &Caller,
        project: &str,
        now: Timestamp,
    ) -> Result<Vec<Invitation>, StoreError> {
        let pst = match &caller.principal {
            Principal::User(u) => Store::pst_projects(&self.pool, u.id).await?,
            _ => Vec::new(),
        };
        // The PST of this project; being on another project's is not enough.
        let on_this: Vec<String> = pst.into_iter().filter(|p| p == project).collect();
        psirt_core::authorize_instance(
            &crate::standing::instance_actor(&caller.principal, &on_this),
            Operation::ManageDistributors,
        )
        .map_err(psirt_core::Refusal::from)?;
        let now = micros(now);
        sqlx::query(
            "SELECT u.email, u.name, i.purpose, o.name AS organisation, i.created_at, i.expires_at \
             FROM invitations i JOIN users u ON u.id = i.user_id LEFT JOIN distributor_orgs o ON o.id = i.org_id \
             WHERE i.project = $1 AND i.used_at IS NULL ORDER BY i.id DESC",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let expires: i64 = r.try_get("expires_at")?;
            Ok(Invitation {
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                purpose: r.try_get("purpose")?,
                organisation: r.try_get("organisation")?,
                created_at: instant(r.try_get("created_at")?)?,
                expires_at: instant(expires)?,
                expired: expires <= now,
            })
        })
        .collect()
    }
}

//! Projects, people, their API tokens and the PST rosters.
//!
//! Tokens are shown once, when created, and stored only as a SHA-256 hash:
//! they carry 256 bits of randomness, so a fast hash is enough and lookup
//! by hash is a plain index scan.
//!
//! Every change here is appended to the audit log in its transaction, as
//! the local administrator (`local`, from `cli`), or as the caller the
//! server names with `Store::by(caller)`. These operations decide no
//! access: the server asks `authorize_instance` before it calls them.

use std::fmt;

use jiff::Timestamp;
use psirt_core::{EmailAddress, GitHubLogin, Policy, RosterEntry, UserId};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Store, StoreError, micros};

/// A person with an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
    pub name: String,
    pub is_admin: bool,
}

/// A freshly issued API token; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    pub(crate) fn generate() -> Result<ApiToken, StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
        Ok(ApiToken(format!("psirt_{}", hex::encode(bytes))))
    }

    /// The token, to show its owner once.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// One member of a project's Product Security Team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PstMember {
    pub user: User,
    pub available: bool,
    pub last_turn: Option<u64>,
}

/// A project as its administrators see it: the policy is read apart
/// ([`Store::project_policy`]), the PST too ([`Store::pst`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub slug: String,
    pub name: String,
    /// Where its forthcoming-fix notices and release announcements go.
    pub announce_address: Option<EmailAddress>,
}

fn project_from_row(row: &sqlx::any::AnyRow) -> Result<Project, StoreError> {
    let slug: String = row.try_get("slug")?;
    let address: Option<String> = row.try_get("announce_address")?;
    Ok(Project {
        announce_address: address
            .map(|a| a.parse())
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("announce address of {slug}: {e}")))?,
        name: row.try_get("name")?,
        slug,
    })
}

pub(crate) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let email: String = row.try_get("email")?;
    Ok(User {
        id: UserId::new(row.try_get("id")?),
        email: email
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        name: row.try_get("name")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
    })
}

/// As SQL: the API tokens `t` with their users `u`, for a query that
/// finds a caller by a token ([`live_token`]). Macros so that the queries
/// that authenticate (`Store::authenticate`, and the case read that
/// authenticates with the case, `Store::case_for_token`) `concat!` one
/// definition.
macro_rules! token_user {
    () => {
        "api_tokens t JOIN users u ON u.id = t.user_id"
    };
}
pub(crate) use token_user;

/// As an SQL condition on [`token_user`]'s `t`: the token whose hash is
/// `$1`, if it is not revoked.
macro_rules! live_token {
    () => {
        "t.token_hash = $1 AND t.revoked_at IS NULL"
    };
}
pub(crate) use live_token;

impl Store {
    /// Creates a project with its policy. The slug names it in URLs and commands.
    pub async fn add_project(
        &self,
        slug: &str,
        name: &str,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let valid = !slug.is_empty()
            && slug.len() <= 64
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-');
        if !valid {
            return Err(StoreError::Invalid {
                field: "slug",
                reason: format!("{slug:?} must be 1 to 64 lower-case letters, digits or dashes"),
            });
        }
        if name.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "name",
                reason: "must not be empty".into(),
            });
        }
        let json = policy_json(policy)?;
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO projects (slug, name, policy, lead_turns, created_at) VALUES ($1, $2, $3, 0, $4)")
            .bind(slug)
            .bind(name.trim())
            .bind(json)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::duplicate(e, format!("project {slug:?}")))?;
        self.commit_audited(tx, "project.add", format!("project {slug}"))
            .await?;
        Ok(())
    }

    /// Adds the project unless it exists; used for the default project.
    pub async fn ensure_project(
        &self,
        slug: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match self.add_project(slug, name, &Policy::default(), now).await {
            Ok(()) | Err(StoreError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every project, by slug.
    pub async fn projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query("SELECT slug, name, announce_address FROM projects ORDER BY slug")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(project_from_row).collect()
    }

    /// One project; unknown, a `NotFound`.
    pub async fn project(&self, slug: &str) -> Result<Project, StoreError> {
        let row = sqlx::query("SELECT slug, name, announce_address FROM projects WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("project {slug:?}")))?;
        project_from_row(&row)
    }

    /// The policy new cases of the project start with.
    pub async fn project_policy(&self, slug: &str) -> Result<Policy, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT policy FROM projects WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        let json = json.ok_or_else(|| StoreError::NotFound(format!("project {slug:?}")))?;
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("policy of {slug}: {e}")))
    }

    /// The projects that publish their security policy, by slug: the
    /// instance's front page lists them, and only they have pages under
    /// `/p/{slug}/`.
    pub async fn published_projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(
            "SELECT slug, name, announce_address FROM projects \
             WHERE policy_published <> 0 ORDER BY slug",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(project_from_row).collect()
    }

    /// The project, if it publishes its policy: an unknown project and
    /// one that does not publish are the same `NotFound`, so that the
    /// answer does not tell whether a private project exists.
    pub async fn published_project(&self, slug: &str) -> Result<Project, StoreError> {
        let row = sqlx::query(
            "SELECT slug, name, announce_address FROM projects \
             WHERE slug = $1 AND policy_published <> 0",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("project {slug:?}")))?;
        project_from_row(&row)
    }

    /// The project a case belongs to (`None` for no such case): which
    /// project's pages a case's URLs live under. It tells nothing of the
    /// case but its project, and decides no access.
    pub async fn case_project(&self, reference: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT project FROM cases WHERE reference = $1")
                .bind(reference)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The project whose distributors list an organisation is on (`None`
    /// for no such organisation).
    pub async fn org_project(&self, org: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT project FROM distributor_orgs WHERE id = $1")
                .bind(org)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The project of the case behind a status link (`None` for no such
    /// link).
    pub async fn status_project(&self, token: &str) -> Result<Option<String>, StoreError> {
        match self.status_case(token).await? {
            Some(case) => self.case_project(&case.to_string()).await,
            None => Ok(None),
        }
    }

    /// Whether the project publishes its policy (and has its pages); a
    /// project created since publishes it until this withdraws it.
    pub async fn set_policy_published(
        &self,
        slug: &str,
        published: bool,
    ) -> Result<(), StoreError> {
        let what = if published { "published" } else { "private" };
        self.update_project(
            slug,
            "UPDATE projects SET policy_published = $1 WHERE slug = $2",
            i64::from(published),
            "project.publish",
            format!("project {slug}: {what}"),
        )
        .await
    }

    /// Replaces the policy for cases opened from now on; open cases keep theirs.
    pub async fn set_project_policy(&self, slug: &str, policy: &Policy) -> Result<(), StoreError> {
        let json = policy_json(policy)?;
        self.update_project(
            slug,
            "UPDATE projects SET policy = $1 WHERE slug = $2",
            json,
            "project.policy",
            format!("project {slug}"),
        )
        .await
    }

    /// Changes one setting of a project, audited as `action`: `sql`
    /// updates the project named by `$2` with `value` as `$1`. No such
    /// project is `NotFound`, and nothing is recorded.
    pub(crate) async fn update_project<T>(
        &self,
        slug: &str,
        sql: &'static str,
        value: T,
        action: &str,
        detail: String,
    ) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        let mut tx = self.write().await?;
        let n = sqlx::query(sql)
            .bind(value)
            .bind(slug)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("project {slug:?}")));
        }
        self.commit_audited(tx, action, detail).await
    }

    /// Creates an account and its first API token, in one transaction.
    pub async fn add_user(
        &self,
        email: &EmailAddress,
        name: &str,
        is_admin: bool,
        now: Timestamp,
    ) -> Result<(User, ApiToken), StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::Invalid {
                field: "name",
                reason: "must be 1 to 200 characters".into(),
            });
        }
        let mut tx = self.write().await?;
        let id = insert_user(&mut tx, email, name, is_admin, now).await?;
        let token = insert_token(&mut tx, UserId::new(id), now).await?;
        let role = if is_admin { ", instance admin" } else { "" };
        self.commit_audited(tx, "user.add", format!("user {id} {email}{role}"))
            .await?;
        let user = User {
            id: UserId::new(id),
            email: email.clone(),
            name: name.to_string(),
            is_admin,
        };
        Ok((user, token))
    }

    /// Issues another API token for an existing user.
    pub async fn issue_token(&self, user: UserId, now: Timestamp) -> Result<ApiToken, StoreError> {
        let mut tx = self.write().await?;
        let token = insert_token(&mut tx, user, now).await?;
        self.commit_audited(tx, "token.issue", format!("user {}", user.get()))
            .await?;
        Ok(token)
    }

    /// The user a token belongs to, if the token exists and is not revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Option<User>, StoreError> {
        self.user_by_token(
            concat!(
                "SELECT u.id, u.email, u.name, u.is_admin FROM ",
                token_user!(),
                " WHERE ",
                live_token!()
            ),
            token,
        )
        .await
    }

    /// The account `sql` finds by a secret token's hash (its `$1`), if
    /// any: tokens are looked up only by hash, never as they are.
    pub(crate) async fn user_by_token(
        &self,
        sql: &'static str,
        token: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(sql)
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Revokes an account's access: every API token and every browser
    /// session, at once. Returns how many of each were live.
    pub async fn revoke_tokens(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<crate::sessions::Revoked, StoreError> {
        let mut tx = self.write().await?;
        let revoked = crate::sessions::end_access_of(&mut tx, user, now).await?;
        // Recorded even when nothing was live: the attempt is what matters.
        self.commit_audited(
            tx,
            "token.revoke",
            format!(
                "user {}, {} token(s), {} session(s)",
                user.get(),
                revoked.tokens,
                revoked.sessions
            ),
        )
        .await?;
        Ok(revoked)
    }

    pub async fn user_by_email(&self, email: &EmailAddress) -> Result<User, StoreError> {
        let row = sqlx::query("SELECT id, email, name, is_admin FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("user {email}")))
    }

    /// The account behind a git identity (`Name <email>` or a bare
    /// e-mail address), if there is one.
    pub async fn identify(&self, identity: &str) -> Result<Option<UserId>, StoreError> {
        let email = match (identity.rfind('<'), identity.rfind('>')) {
            (Some(a), Some(b)) if a < b => &identity[a + 1..b],
            _ => identity,
        };
        let Ok(email) = email.trim().parse::<EmailAddress>() else {
            return Ok(None);
        };
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = LOWER($1)")
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(UserId::new))
    }

    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query("SELECT id, email, name, is_admin FROM users WHERE id = $1")
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("{id}")))
    }

    /// Sets (or with `None` clears) the account's GitHub login: the one
    /// its holder uses, as an administrator or they themself say; no two
    /// accounts share one. The open, unreleased cases whose Fix Team or
    /// Lead the account is on have their `github_advisory` step made due
    /// again at `now`, in the same transaction, so that the draft
    /// advisory's collaborators follow the new login.
    pub async fn set_github_login(
        &self,
        user: UserId,
        login: Option<&GitHubLogin>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET github_login = $1 WHERE id = $2")
            .bind(login.map(GitHubLogin::as_str))
            .bind(user.get())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::duplicate(
                    e,
                    format!("GitHub login {}", login.map_or("", GitHubLogin::as_str)),
                )
            })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("{user}")));
        }
        // Only cases that have the step (connected to GitHub, the team
        // formed) get it again; the job reads the logins afresh.
        sqlx::query(
            "UPDATE integration_steps SET state = 'pending', attempts = 0, reason = NULL, \
             next_at = $1, lease_until = NULL, updated_at = $1 \
             WHERE step = $2 AND case_id IN (SELECT p.case_id FROM case_summary_people p \
             JOIN case_summaries s ON s.case_id = p.case_id \
             WHERE p.user_id = $3 AND s.is_open = 1 AND s.released_at IS NULL)",
        )
        .bind(micros(now))
        .bind(crate::Step::GitHubAdvisory.as_str())
        .bind(user.get())
        .execute(&mut *tx)
        .await?;
        let detail = match login {
            Some(l) => format!("user {}: {l}", user.get()),
            None => format!("user {}: none", user.get()),
        };
        self.commit_audited(tx, "user.github_login", detail).await?;
        Ok(())
    }

    /// The GitHub login of the account a credit names, if it has one: the
    /// credit's name is the account's email address, or the name of one
    /// account only (case-insensitively). Anyone else has no login.
    pub async fn github_login_credited(
        &self,
        name: &str,
    ) -> Result<Option<GitHubLogin>, StoreError> {
        let logins: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT github_login FROM users WHERE lower(email) = lower($1) \
             UNION ALL SELECT github_login FROM users WHERE lower(name) = lower($1) \
             AND NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))",
        )
        .bind(name.trim())
        .fetch_all(&self.pool)
        .await?;
        let [Some(login)] = logins.as_slice() else {
            return Ok(None);
        };
        login
            .parse()
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("GitHub login {login:?}: {e}")))
    }

    /// The GitHub logins of those of `users` who have one.
    pub async fn github_logins(
        &self,
        users: &[UserId],
    ) -> Result<Vec<(UserId, GitHubLogin)>, StoreError> {
        let mut out = Vec::new();
        for user in users {
            let login: Option<Option<String>> =
                sqlx::query_scalar("SELECT github_login FROM users WHERE id = $1")
                    .bind(user.get())
                    .fetch_optional(&self.pool)
                    .await?;
            if let Some(Some(login)) = login {
                let login = login
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("GitHub login of {user}: {e}")))?;
                out.push((*user, login));
            }
        }
        Ok(out)
    }

    /// Puts a user on a project's PST, at the end of the roster.
    pub async fn add_pst_member(
        &self,
        project: &str,
        user: UserId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        if !project_exists(&mut tx, project).await? {
            return Err(StoreError::NotFound(format!("project {project:?}")));
        }
        let position: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM pst_members WHERE project = $1",
        )
        .bind(project)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO pst_members (project, user_id, position, available, joined_at) VALUES ($1, $2, $3, 1, $4)",
        )
        .bind(project)
        .bind(user.get())
        .bind(position)
        .bind(micros(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::duplicate(e, format!("{user} on the PST of {project}")))?;
        // A new member without a password is invited to set one.
        let row = sqlx::query("SELECT id, email, name, is_admin FROM users WHERE id = $1")
            .bind(user.get())
            .fetch_one(&mut *tx)
            .await?;
        let member = user_from_row(&row)?;
        let entry = self.account_entry("pst.add", String::new());
        self.invite(
            &mut tx,
            crate::invitations::Invite {
                user,
                email: &member.email,
                name: &member.name,
                project,
                purpose: crate::invitations::Purpose::Pst,
                what: project,
                key: None,
                by: (&entry.actor, &entry.origin),
            },
            now,
        )
        .await?;
        self.commit_audited(tx, "pst.add", format!("user {} on {project}", user.get()))
            .await?;
        Ok(())
    }

    /// Marks a PST member available or unavailable for the rotation.
    pub async fn set_available(
        &self,
        project: &str,
        user: UserId,
        available: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE pst_members SET available = $1 WHERE project = $2 AND user_id = $3 AND removed_at IS NULL",
        )
        .bind(i64::from(available))
        .bind(project)
        .bind(user.get())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "{user} on the PST of {project}"
            )));
        }
        let state = if available {
            "available"
        } else {
            "unavailable"
        };
        self.commit_audited(
            tx,
            "pst.available",
            format!("user {} on {project}: {state}", user.get()),
        )
        .await?;
        Ok(())
    }

    /// The project's PST in roster order.
    pub async fn pst(&self, project: &str) -> Result<Vec<PstMember>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.name, u.is_admin, m.available, m.last_turn FROM pst_members m \
             JOIN users u ON u.id = m.user_id WHERE m.project = $1 AND m.removed_at IS NULL ORDER BY m.position",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let last: Option<i64> = row.try_get("last_turn")?;
                Ok(PstMember {
                    user: user_from_row(row)?,
                    available: row.try_get::<i64, _>("available")? != 0,
                    last_turn: last.map(|t| t as u64),
                })
            })
            .collect()
    }

    /// Projects whose PST the user is on. Takes the executor so that code
    /// holding a transaction reads through it instead of asking the pool
    /// for a second connection (which can exhaust the pool under load).
    pub(crate) async fn pst_projects<'e, E>(
        executor: E,
        user: UserId,
    ) -> Result<Vec<String>, StoreError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        Ok(sqlx::query_scalar(
            "SELECT project FROM pst_members WHERE user_id = $1 AND removed_at IS NULL",
        )
        .bind(user.get())
        .fetch_all(executor)
        .await?)
    }

    pub(crate) async fn roster(
        tx: &mut sqlx::AnyConnection,
        project: &str,
    ) -> Result<Vec<RosterEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, available, last_turn FROM pst_members WHERE project = $1 AND removed_at IS NULL ORDER BY position",
        )
        .bind(project)
        .fetch_all(&mut *tx)
        .await?;
        rows.iter()
            .map(|row| {
                let last: Option<i64> = row.try_get("last_turn")?;
                Ok(RosterEntry {
                    user: UserId::new(row.try_get("user_id")?),
                    available: row.try_get::<i64, _>("available")? != 0,
                    last_turn: last.map(|t| t as u64),
                })
            })
            .collect()
    }
}

/// A project's policy as it is stored, checked first.
fn policy_json(policy: &Policy) -> Result<String, StoreError> {
    policy.validate().map_err(|e| StoreError::Invalid {
        field: "policy",
        reason: e.to_string(),
    })?;
    serde_json::to_string(policy).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Issues a new API token for the account, in the caller's transaction;
/// only its hash is stored.
async fn insert_token(
    tx: &mut sqlx::AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<ApiToken, StoreError> {
    let token = ApiToken::generate()?;
    sqlx::query("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
        .bind(user.get())
        .bind(token_hash(token.reveal()))
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
    Ok(token)
}

/// Whether the project exists, asked in the caller's transaction.
pub(crate) async fn project_exists(
    conn: &mut sqlx::AnyConnection,
    slug: &str,
) -> Result<bool, StoreError> {
    let exists: Option<String> = sqlx::query_scalar("SELECT slug FROM projects WHERE slug = $1")
        .bind(slug)
        .fetch_optional(conn)
        .await?;
    Ok(exists.is_some())
}

/// Writes a new account (no token, no password), in the caller's
/// transaction: the one place accounts are created. The caller writes the
/// `user.add` audit entry.
pub(crate) async fn insert_user(
    tx: &mut sqlx::AnyConnection,
    email: &EmailAddress,
    name: &str,
    is_admin: bool,
    now: Timestamp,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(email.as_str())
    .bind(name)
    .bind(i64::from(is_admin))
    .bind(micros(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| StoreError::duplicate(e, format!("a user with e-mail {email}")))
}

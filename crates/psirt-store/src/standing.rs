//! Who a caller is to the core: the principal the edge authenticated, where
//! the request came from, and the one query that turns them into a
//! `psirt_core::Actor` for the instance, a project's distributor affairs, one
//! organisation or one case.
//!
//! This module decides nothing: it states facts (on the PST of this
//! project? a current member of this organisation? was their organisation
//! pre-notified on this case?) and `psirt_core::authorize` decides from
//! them. "A current member of the distributors list" is the
//! `current_distributor_members` view (migration 0010), read here and
//! nowhere else, so the pre-notification's recipients and a caller's
//! standing can never disagree about it.

use psirt_core::{Actor, Case, CaseRef, UserId};
use sqlx::{AnyConnection, Row};

use crate::accounts::User;
use crate::{Store, StoreError};

/// Who is acting, as authenticated by the caller.
#[derive(Clone, Debug)]
pub enum Principal {
    User(User),
    /// The holder of a case's private status link.
    Reporter(CaseRef),
    System,
    /// Nobody signed in.
    Anonymous,
}

/// A principal and where the request came from (a client address, or
/// `cli` for the command line): what the audit log records.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub origin: String,
}

impl Caller {
    pub fn new(principal: Principal, origin: impl Into<String>) -> Caller {
        Caller {
            principal,
            origin: origin.into(),
        }
    }

    /// A caller on this machine's command line.
    pub fn cli(principal: Principal) -> Caller {
        Caller::new(principal, "cli")
    }

    /// The signed-in account, if any.
    pub(crate) fn user(&self) -> Option<&User> {
        match &self.principal {
            Principal::User(u) => Some(u),
            _ => None,
        }
    }
}

/// Who acted, as the audit log names them.
pub(crate) fn audit_actor(principal: &Principal) -> String {
    match principal {
        Principal::User(u) => format!("user:{} {}", u.id.get(), u.email),
        Principal::Reporter(_) => "reporter".into(),
        Principal::System => "psirt".into(),
        Principal::Anonymous => "anonymous".into(),
    }
}

/// What a caller's standing is asked about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    /// The instance: PST if on any project's PST.
    Instance,
    /// A project's distributors list: its PST, else a current member of
    /// any of its organisations.
    Project(&'a str),
    /// One organisation of a project: its PST, else a current member of
    /// that organisation.
    Org { project: &'a str, org: i64 },
    /// One case: its project's PST, else a current member of an
    /// organisation of its project (notified of this case or not).
    Case(&'a Case),
}

/// The core's view of `principal` in `scope`: the one query. Anyone of an
/// organisation who is not a current member is a person with no standing.
pub(crate) async fn standing(
    conn: &mut AnyConnection,
    principal: &Principal,
    scope: Scope<'_>,
) -> Result<Actor, StoreError> {
    let user = match principal {
        Principal::User(u) => u,
        Principal::Reporter(r) => {
            // A status link speaks only for its own case.
            return Ok(match scope {
                Scope::Case(case) if case.reference == *r => Actor::Reporter,
                _ => Actor::Anonymous,
            });
        }
        Principal::System => return Ok(Actor::System),
        Principal::Anonymous => return Ok(Actor::Anonymous),
    };
    let pst = Store::pst_projects(&mut *conn, user.id).await?;
    let (project, org, case) = match scope {
        Scope::Instance => return Ok(person(user, !pst.is_empty())),
        Scope::Project(project) => (project, None, None),
        Scope::Org { project, org } => (project, Some(org), None),
        Scope::Case(case) => (case.project.as_str(), None, Some(case.reference)),
    };
    let seated = pst.iter().any(|p| p == project);
    on_project(conn, user, project, org, case, seated).await
}

/// [`standing`] on one case for a person whose seat on the PST of the
/// case's project was read already, in the query that read the case
/// ([`pst_seat`]): the same answer, without reading their projects again.
pub(crate) async fn seated_actor(
    conn: &mut AnyConnection,
    user: &User,
    case: &Case,
    seated: bool,
) -> Result<Actor, StoreError> {
    on_project(
        conn,
        user,
        &case.project,
        None,
        Some(case.reference),
        seated,
    )
    .await
}

/// As an SQL expression over a user `u` and a case `c`: 1 when `u` holds a
/// current seat on the PST of `c`'s project, else 0. What
/// [`Store::pst_projects`] lists, asked of one project. A macro so that
/// queries can `concat!` it.
macro_rules! pst_seat {
    () => {
        "(SELECT COUNT(*) FROM pst_members p \
         WHERE p.user_id = u.id AND p.project = c.project AND p.removed_at IS NULL)"
    };
}
pub(crate) use pst_seat;

fn person(user: &User, pst: bool) -> Actor {
    Actor::Person {
        user: user.id,
        pst,
        admin: user.is_admin,
    }
}

/// A person's standing on `project` (its organisation `org`, its case
/// `case`), `seated` saying whether they are on its PST.
async fn on_project(
    conn: &mut AnyConnection,
    user: &User,
    project: &str,
    org: Option<i64>,
    case: Option<CaseRef>,
    seated: bool,
) -> Result<Actor, StoreError> {
    if seated {
        return Ok(person(user, true));
    }
    Ok(match membership(conn, user.id, project, org, case).await? {
        Some(notified) => Actor::Distributor {
            user: user.id,
            notified,
        },
        None => person(user, false),
    })
}

/// Whether `user` is a current member of `project`'s list (of `org`, when
/// given): `Some(notified)`, where `notified` says whether one of their
/// organisations was pre-notified on `case`.
async fn membership(
    conn: &mut AnyConnection,
    user: UserId,
    project: &str,
    org: Option<i64>,
    case: Option<CaseRef>,
) -> Result<Option<bool>, StoreError> {
    let rows = sqlx::query(
        "SELECT m.org_id, n.case_id FROM current_distributor_members m \
         LEFT JOIN distributor_notifications n ON n.org_id = m.org_id \
           AND n.case_id = (SELECT id FROM cases WHERE reference = $3) \
         WHERE m.user_id = $1 AND m.project = $2",
    )
    .bind(user.get())
    .bind(project)
    .bind(case.map(|c| c.to_string()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut member = false;
    let mut notified = false;
    for row in &rows {
        let of: i64 = row.try_get("org_id")?;
        if org.is_some_and(|o| o != of) {
            continue;
        }
        member = true;
        notified |= row.try_get::<Option<i64>, _>("case_id")?.is_some();
    }
    Ok(member.then_some(notified))
}

/// The organisations of `project` in which `user` is a current member.
pub(crate) async fn member_orgs(
    conn: &mut AnyConnection,
    user: UserId,
    project: &str,
) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT org_id FROM current_distributor_members \
         WHERE user_id = $1 AND project = $2 ORDER BY org_id",
    )
    .bind(user.get())
    .bind(project)
    .fetch_all(&mut *conn)
    .await?)
}

/// The current members of a project's list (`$1`): the pre-notification's
/// recipients, with the person each copy is for.
pub(crate) const CURRENT_MEMBERS: &str = "SELECT u.email, u.name, m.person_id AS person \
    FROM current_distributor_members m JOIN users u ON u.id = m.user_id \
    WHERE m.project = $1 ORDER BY u.email";

/// [`CURRENT_MEMBERS`] of the organisations notified on case `$2`.
pub(crate) const CURRENT_MEMBERS_NOTIFIED: &str = "SELECT u.email, u.name, m.person_id AS person \
    FROM current_distributor_members m JOIN users u ON u.id = m.user_id \
    JOIN distributor_notifications n ON n.org_id = m.org_id JOIN cases c ON c.id = n.case_id \
    WHERE m.project = $1 AND c.reference = $2 ORDER BY u.email";

/// The core's view of a principal relative to one case (its summary), from the PST
/// projects already read (for listings, which read them once): a listing
/// needs no distributor standing, since distributors see no case.
pub(crate) fn actor_for_summary(
    principal: &Principal,
    case: &psirt_core::CaseSummary,
    pst_projects: &[String],
) -> Actor {
    match principal {
        Principal::User(u) => Actor::Person {
            user: u.id,
            pst: pst_projects.contains(&case.project),
            admin: u.is_admin,
        },
        Principal::Reporter(r) if *r == case.reference => Actor::Reporter,
        Principal::Reporter(_) | Principal::Anonymous => Actor::Anonymous,
        Principal::System => Actor::System,
    }
}

/// The core's view of a principal for instance operations, from the PST
/// projects already read.
pub(crate) fn instance_actor(principal: &Principal, pst_projects: &[String]) -> Actor {
    match principal {
        Principal::User(u) => Actor::Person {
            user: u.id,
            pst: !pst_projects.is_empty(),
            admin: u.is_admin,
        },
        Principal::Reporter(_) | Principal::Anonymous => Actor::Anonymous,
        Principal::System => Actor::System,
    }
}

/// [`standing`] on one case.
pub(crate) async fn actor(
    conn: &mut AnyConnection,
    principal: &Principal,
    case: &Case,
) -> Result<Actor, StoreError> {
    standing(conn, principal, Scope::Case(case)).await
}

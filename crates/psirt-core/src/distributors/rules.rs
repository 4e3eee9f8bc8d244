//! What an application must meet: the seed's membership criteria, answered
//! one by one; people named as individuals, each with their own address;
//! the limits on every text.
//!
//! What counts as an individual address (see [`check_individual`]): the
//! local part must not be a role or list name (`security`, `psirt`,
//! `admin`, `info`, `team`, `announce`, …, or one of those with a
//! `-`/`.`/`_` suffix such as `security-team` or `dev-announce`), and the
//! domain must not be a mailing-list host (`lists.…`, `googlegroups.com`,
//! `groups.io`). This catches the obvious group aliases; it cannot prove an
//! address reaches one person, so the embargo policy each person accepts
//! says it must.

use std::collections::BTreeSet;

use crate::engine::Refusal;
use crate::ids::EmailAddress;

/// The seed's membership criteria, one answer each, in order.
pub const CRITERIA: [&str; 7] = [
    "Be an active distributor of the project's components.",
    "Have a user base not limited to your own organization.",
    "Have a publicly verifiable track record up to present day of fixing security issues.",
    "Not be a downstream or rebuild of another distributor.",
    "Be a participant and active contributor in the community.",
    "Accept the Embargo Policy.",
    "Have someone already on the list vouch for the person requesting membership on behalf of your distribution.",
];

/// The field each answer is reported under when it is refused.
const CRITERION_FIELDS: [&str; 7] = [
    "criterion_1",
    "criterion_2",
    "criterion_3",
    "criterion_4",
    "criterion_5",
    "criterion_6",
    "criterion_7",
];

/// At most this many characters in one answer to a criterion.
pub const MAX_ANSWER: usize = 10_000;
/// At most this many characters in a reason, feedback or an answer to a
/// request for help.
pub const MAX_TEXT: usize = 100_000;
/// At most this many people in one application.
pub const MAX_PEOPLE: usize = 50;
/// At most this many characters in an organisation's or a person's name.
pub const MAX_NAME: usize = 200;
/// At most this many characters in an armored key named for a person.
const MAX_KEY: usize = 1_000_000;

fn invalid(field: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A required text: trimmed, not empty, without NUL, bounded.
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<String, Refusal> {
    crate::engine::text(field, value, max)
}

const ROLE_NAMES: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "all",
    "announce",
    "cert",
    "contact",
    "csirt",
    "dev",
    "devel",
    "developers",
    "distributors",
    "everyone",
    "help",
    "hostmaster",
    "info",
    "list",
    "lists",
    "maintainers",
    "no-reply",
    "noreply",
    "office",
    "packagers",
    "postmaster",
    "psirt",
    "root",
    "sales",
    "secalert",
    "security",
    "staff",
    "support",
    "team",
    "users",
    "webmaster",
];

/// Refuses the obvious group aliases (see the module documentation).
pub fn check_individual(field: &'static str, email: &EmailAddress) -> Result<(), Refusal> {
    let address = email.as_str().to_ascii_lowercase();
    let (local, domain) = address.rsplit_once('@').unwrap_or((&address, ""));
    let local = local.split('+').next().unwrap_or(local);
    let role = ROLE_NAMES.contains(&local)
        || local
            .split(['-', '.', '_'])
            .any(|part| ROLE_NAMES.contains(&part) && part != local && is_list_word(part));
    let list_host = domain.starts_with("lists.")
        || domain == "googlegroups.com"
        || domain == "groups.io"
        || domain.ends_with(".groups.io");
    if role || list_host {
        return Err(invalid(
            field,
            format!(
                "{email} looks like a group or role address; name each person with their own address"
            ),
        ));
    }
    Ok(())
}

/// Words that make a compound local part a list (`security-team`,
/// `dev-announce`), but not a person (`dev.smith` is fine).
fn is_list_word(part: &str) -> bool {
    matches!(
        part,
        "announce"
            | "security"
            | "team"
            | "list"
            | "lists"
            | "all"
            | "psirt"
            | "csirt"
            | "cert"
            | "secalert"
            | "distributors"
            | "maintainers"
            | "packagers"
            | "users"
            | "devel"
            | "noreply"
    )
}

/// A person as an application or an organisation names them.
#[derive(Clone, Copy, Debug)]
pub struct ProposedPerson<'a> {
    pub name: &'a str,
    pub email: &'a EmailAddress,
    /// The fingerprint and armored text of the key named for them.
    pub key: Option<(&'a str, &'a str)>,
}

/// A person that passed [`check_person`]: the name as it is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedPerson {
    pub name: String,
}

/// One person: a name, an individual address, a key of bounded size.
pub fn check_person(person: ProposedPerson<'_>) -> Result<CheckedPerson, Refusal> {
    let name = check_text("person_name", person.name, MAX_NAME)?;
    check_individual("person_email", person.email)?;
    if let Some((fingerprint, armored)) = person.key {
        check_text("person_key", fingerprint, MAX_NAME)?;
        check_text("person_key", armored, MAX_KEY)?;
    }
    Ok(CheckedPerson { name })
}

/// An application that passed [`check_application`], its texts as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedApplication {
    pub organisation: String,
    pub answers: Vec<String>,
    /// In the order given.
    pub people: Vec<CheckedPerson>,
}

/// An application's own fields: the organisation's name, one answer per
/// criterion, at least one and at most [`MAX_PEOPLE`] people, each named
/// once, and a voucher who is `voucher_member` (a current member of
/// another organisation on the project's list) and not among the people.
pub fn check_application(
    organisation: &str,
    answers: &[String],
    people: &[ProposedPerson<'_>],
) -> Result<CheckedApplication, Refusal> {
    let organisation = check_text("organisation", organisation, MAX_NAME)?;
    if answers.len() != CRITERIA.len() {
        return Err(invalid(
            "answers",
            format!(
                "answer each of the {} membership criteria, one by one ({} given)",
                CRITERIA.len(),
                answers.len()
            ),
        ));
    }
    let answers = answers
        .iter()
        .zip(CRITERION_FIELDS)
        .map(|(a, field)| check_text(field, a, MAX_ANSWER))
        .collect::<Result<_, _>>()?;
    let people = check_people(people)?;
    Ok(CheckedApplication {
        organisation,
        answers,
        people,
    })
}

fn check_people(people: &[ProposedPerson<'_>]) -> Result<Vec<CheckedPerson>, Refusal> {
    if people.is_empty() {
        return Err(invalid(
            "people",
            "name at least one person: individuals, each with their own address",
        ));
    }
    if people.len() > MAX_PEOPLE {
        return Err(invalid("people", format!("at most {MAX_PEOPLE} people")));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in people {
        let checked = check_person(*p)?;
        if !seen.insert(p.email.as_str().to_ascii_lowercase()) {
            return Err(invalid(
                "person_email",
                format!("{} is named twice", p.email),
            ));
        }
        out.push(checked);
    }
    Ok(out)
}

/// Criterion 7: the voucher is a current member of another organisation on
/// the project's list (`member`), not one of the people applying.
pub fn check_voucher(
    project: &str,
    voucher: &EmailAddress,
    member: bool,
    people: &[ProposedPerson<'_>],
) -> Result<(), Refusal> {
    if !member
        || people
            .iter()
            .any(|p| p.email.as_str().eq_ignore_ascii_case(voucher.as_str()))
    {
        return Err(invalid(
            "voucher",
            format!(
                "{voucher} is not a member of another organisation on the {project} distributors list"
            ),
        ));
    }
    Ok(())
}

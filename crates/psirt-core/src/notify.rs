//! The mail the process sends: which message a change or a due time causes,
//! to whom, with which text, and whether a person reviews it first.
//!
//! This module owns the templates and the choice of audience. It never
//! resolves an audience to addresses, never builds MIME, never signs,
//! encrypts or sends (the store and the delivery worker do), and, like the
//! rest of the core, never reads the clock: `now` is an argument.
//!
//! What the messages say follows the seed: the acknowledgement thanks the
//! reporter and says what happens next; the forthcoming-fix notice tells
//! users that a fix is coming, when, and how to mitigate until then,
//! without details of the vulnerability; the pre-notification gives
//! distributors the patches and the embargo date; the release announcement
//! names the release, the CVE, the CVSS and the fix commits. Mail to the team
//! (Fix Lead assignment, reminders) carries the reference and the due times,
//! never the summary or the report, so that nothing embargoed reaches an
//! inbox in clear.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::dues::{Due, Milestone, MilestoneStatus};
use crate::duration::Duration;
use crate::event::{Change, Event};
use crate::ids::UserId;

/// What a message is, in the process's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    Acknowledgement,
    FixLeadAssigned,
    Reminder,
    ForthcomingFixNotice,
    PreNotification,
    ReleaseAnnouncement,
    MessageToReporter,
    /// To the PST and the Fix Lead: an embargo break was reported.
    EmbargoBreak,
    /// To every notified distributor: the public date moved forward.
    EmbargoUpdate,
    /// The audit log's head, signed with the instance key: a daily witness
    /// for the PST. It names no case and holds no report content.
    AuditCheckpoint,
    /// A one-time link to set a password and sign in, for a person named
    /// on the distributors list or added to the PST. It names no case.
    Invitation,
    /// The second notice to the notified distributors shortly before the
    /// embargo ends (where the policy has one): a draft for the Fix Lead.
    FinalDistributorNotice,
}

impl MailKind {
    pub const ALL: [MailKind; 12] = [
        MailKind::Acknowledgement,
        MailKind::FixLeadAssigned,
        MailKind::Reminder,
        MailKind::ForthcomingFixNotice,
        MailKind::PreNotification,
        MailKind::ReleaseAnnouncement,
        MailKind::MessageToReporter,
        MailKind::EmbargoBreak,
        MailKind::EmbargoUpdate,
        MailKind::AuditCheckpoint,
        MailKind::Invitation,
        MailKind::FinalDistributorNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "acknowledgement",
            MailKind::FixLeadAssigned => "fix_lead_assigned",
            MailKind::Reminder => "reminder",
            MailKind::ForthcomingFixNotice => "forthcoming_fix_notice",
            MailKind::PreNotification => "pre_notification",
            MailKind::ReleaseAnnouncement => "release_announcement",
            MailKind::MessageToReporter => "message_to_reporter",
            MailKind::EmbargoBreak => "embargo_break",
            MailKind::EmbargoUpdate => "embargo_update",
            MailKind::AuditCheckpoint => "audit_checkpoint",
            MailKind::Invitation => "invitation",
            MailKind::FinalDistributorNotice => "final_distributor_notice",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who a message is for, before the store turns it into addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The reporter, if they gave an address.
    Reporter,
    /// One person on the team.
    User(UserId),
    /// Every active member of the project's Product Security Team.
    Pst,
    /// The project's users: its announcement list.
    Users,
    /// Every current member of the project's private distributors list,
    /// each sent their own encrypted copy.
    Distributors,
    /// The current members of the organisations notified on this case
    /// (whose pre-notification copies were approved).
    NotifiedDistributors,
}

/// Whether a message goes out when it is written, or waits for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    Send,
    /// A draft: nothing is sent until someone on the case approves it. The
    /// process makes a decision with these (what users and distributors
    /// are told), so a person reads them first.
    Draft,
}

/// How a message must be protected on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Encrypted to the recipient when a key is on file, signed otherwise.
    EncryptIfKey,
    /// Never sent in clear: a recipient without a usable key gets nothing.
    EncryptOnly,
}

/// A message the process wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub kind: MailKind,
    pub audience: Audience,
    pub subject: String,
    pub body: String,
    pub review: Review,
    pub protection: Protection,
    /// Identifies a message that must be written once only, whoever asks
    /// and however often (reminders, which a job computes again and again).
    pub once: Option<String>,
    /// Files carried inside the message (inside its encryption, when it is
    /// encrypted): the pre-notification's patch sets.
    pub attachments: Vec<MailAttachment>,
}

/// A file a message carries, kept with each copy in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailAttachment {
    /// The file name the recipient saves it as.
    pub name: String,
    /// Its MIME type (`text/x-patch`).
    pub content_type: String,
    /// Embargoed: never shown in logs (`Secret` redacts it).
    pub content: crate::Secret<String>,
}

/// How long before a due time the Fix Lead is reminded.
pub const REMIND_BEFORE: Duration = Duration::hours(24);

/// The messages that newly recorded events cause. `case` is the case with
/// those events applied.
pub fn mails_for(case: &Case, events: &[Event]) -> Vec<Mail> {
    events
        .iter()
        .flat_map(|event| {
            mail_for(case, &event.change)
                .into_iter()
                .chain(embargo_mails(case, &event.change))
        })
        .collect()
}

/// The alarm of an embargo break, and the embargo update when the PST
/// pulls the release forward. The alarm is team mail: the reference and
/// what leaked, to whom and when, never the report.
fn embargo_mails(case: &Case, change: &Change) -> Vec<Mail> {
    let reference = case.reference;
    let project = &case.project;
    match change {
        Change::EmbargoBreakReported {
            what,
            to_whom,
            when,
        } => {
            let body = format!(
                "An embargo break was reported on {reference} ({project}).\n\n\
                 What leaked: {}\nTo whom: {}\nWhen: {}\n\n\
                 The case is urgent until the PST assesses the break: whether to release \
                 earlier than planned (assess_embargo_break, with release_early and the new \
                 public date, or release_early: false and why not).\n",
                what.trim(),
                to_whom.trim(),
                utc(*when)
            );
            let subject = format!("[{reference}] URGENT: embargo break reported");
            let mail = |audience| Mail {
                kind: MailKind::EmbargoBreak,
                audience,
                subject: subject.clone(),
                body: body.clone(),
                review: Review::Send,
                protection: Protection::EncryptIfKey,
                once: None,
                attachments: Vec::new(),
            };
            let mut mails = vec![mail(Audience::Pst)];
            mails.extend(case.fix_lead().map(|lead| mail(Audience::User(lead))));
            mails
        }
        Change::EmbargoBreakAssessed {
            release_early: true,
            release_at: Some(new),
            ..
        } if case.distributors_notified_at.is_some()
            && case.embargo_moved.is_some_and(|(_, moved)| moved == *new) =>
        {
            let (was, _) = case.embargo_moved.expect("checked above");
            let body = format!(
                "EMBARGOED until {} — do not share outside your organisation's security team.\n\n\
                 The embargo on {reference} ({project}) now ends EARLIER: the fix becomes public at \
                 {} (that is {} UTC), not at {} as the pre-notification said.\n\n\
                 The {project} Product Security Team moved the date after an embargo break. \
                 Prepare your own release for the new moment; until then, the embargo holds.\n",
                utc(*new),
                utc(*new),
                new.strftime("%A %-d %B %Y, %H:%M"),
                utc(was),
            );
            vec![Mail {
                kind: MailKind::EmbargoUpdate,
                audience: Audience::NotifiedDistributors,
                subject: format!("[{reference}] Embargo moved: now ends {}", utc(*new)),
                body,
                review: Review::Send,
                protection: Protection::EncryptOnly,
                once: None,
                attachments: Vec::new(),
            }]
        }
        _ => Vec::new(),
    }
}

fn mail_for(case: &Case, change: &Change) -> Option<Mail> {
    let reference = case.reference;
    let project = &case.project;
    Some(match change {
        Change::Acknowledged => {
            case.reporter.as_ref()?.email.as_ref()?;
            let mut body = format!(
                "Thank you for your report to the {project} Product Security Team.\n\n\
                 It is recorded as {reference}: \"{}\".\n\n\
                 What happens next:\n",
                case.summary
            );
            body.push_str(&due_lines(
                case,
                &[
                    Milestone::FixLeadAssigned,
                    Milestone::CvssScored,
                    Milestone::FixReady,
                    Milestone::Released,
                ],
            ));
            body.push_str(
                "\nPlease keep the vulnerability private until the fix is released. \
                 Reply to this message to add information; your reply is added to the case. \
                 We credit reporters publicly unless they ask to stay anonymous.\n",
            );
            Mail {
                kind: MailKind::Acknowledgement,
                audience: Audience::Reporter,
                subject: format!("[{reference}] Your report was received"),
                body,
                review: Review::Send,
                protection: Protection::EncryptIfKey,
                once: None,
                attachments: Vec::new(),
            }
        }
        Change::FixLeadAssigned { lead, .. } => {
            let mut body = format!(
                "You are the Fix Lead of {reference} ({project}).\n\n\
                 Form the Fix Team, agree on a CVSS score and lead the fix. Due times:\n"
            );
            body.push_str(&due_lines(case, &Milestone::ALL));
            Mail {
                kind: MailKind::FixLeadAssigned,
                audience: Audience::User(*lead),
                subject: format!("[{reference}] You are the Fix Lead"),
                body,
                review: Review::Send,
                protection: Protection::EncryptIfKey,
                once: None,
                attachments: Vec::new(),
            }
        }
        Change::NoticePublished {
            estimated_release,
            mitigation,
            link,
        } => {
            let body =
                forthcoming_notice_text(case, *estimated_release, mitigation, link.as_deref());
            Mail {
                kind: MailKind::ForthcomingFixNotice,
                audience: Audience::Users,
                subject: format!(
                    "Forthcoming security fix for {project}, expected {}",
                    date(*estimated_release)
                ),
                body,
                review: Review::Draft,
                protection: Protection::EncryptIfKey,
                once: None,
                attachments: Vec::new(),
            }
        }
        Change::DistributorsNotified {
            patches,
            embargo_end,
            affected_versions,
            fixed_versions,
        } => {
            let mut body = format!(
                "EMBARGOED until {} — do not share outside your organisation's security team.\n\n\
                 {reference} ({project}): {}\n",
                utc(*embargo_end),
                case.summary
            );
            cvss_line(&mut body, case);
            if let Some(notice) = &case.notice {
                let _ = writeln!(body, "Estimated release: {}", utc(notice.estimated_release));
            }
            if let Some(v) = affected_versions {
                let _ = writeln!(body, "Affected versions: {v}");
            }
            if let Some(v) = fixed_versions {
                let _ = writeln!(body, "Fixed versions: {v}");
            }
            body.push_str("\nPatches:\n");
            for patch in patches {
                let _ = writeln!(body, "- {patch}");
            }
            if !case.fix_commits.is_empty() {
                body.push_str("\nFix commits:\n");
                for commit in case.fix_commits.iter().filter(|c| !c.replaced) {
                    let _ = writeln!(body, "- {}", commit.commit);
                }
            }
            let attachments = crate::fix_repo::patch_sets(&mut body, case);
            let _ = write!(
                body,
                "\nThe embargo lifts at {} (that is {} UTC). Prepare your own release for that \
                 moment; do not publish, share or discuss this information before it. If it \
                 leaks, tell the {project} Product Security Team at once.\n",
                utc(*embargo_end),
                embargo_end.strftime("%A %-d %B %Y, %H:%M")
            );
            Mail {
                kind: MailKind::PreNotification,
                audience: Audience::Distributors,
                subject: format!("[{reference}] Embargoed security fix for {project}"),
                body,
                review: Review::Draft,
                protection: Protection::EncryptOnly,
                once: None,
                attachments,
            }
        }
        Change::Released { version, .. } => {
            let body = release_announcement_text(case, version);
            let cves: Vec<String> = case.cves.iter().map(ToString::to_string).collect();
            let mut subject = format!("Security release: {project} {version}");
            if !cves.is_empty() {
                let _ = write!(subject, " fixes {}", cves.join(", "));
            }
            Mail {
                kind: MailKind::ReleaseAnnouncement,
                audience: Audience::Users,
                subject,
                body,
                review: Review::Draft,
                protection: Protection::EncryptIfKey,
                once: None,
                attachments: Vec::new(),
            }
        }
        Change::MessageToReporter { text } => {
            case.reporter.as_ref()?.email.as_ref()?;
            Mail {
                kind: MailKind::MessageToReporter,
                audience: Audience::Reporter,
                subject: format!("[{reference}] A message from the {project} security team"),
                body: format!(
                    "{}\n\nReply to this message to answer; your reply is added to {reference}.\n",
                    text.trim_end()
                ),
                review: Review::Send,
                protection: Protection::EncryptIfKey,
                once: None,
                attachments: Vec::new(),
            }
        }
        _ => return None,
    })
}

/// The instant before which an approved message of `kind` must not go
/// out: the release announcement is held until the release's public
/// instant ([`crate::public_at`]), so that users hear of the fix when the
/// embargo ends and not when the release was recorded.
pub fn hold_until(case: &Case, kind: MailKind) -> Option<Timestamp> {
    match kind {
        MailKind::ReleaseAnnouncement => crate::public_at(case),
        _ => None,
    }
}

/// The forthcoming-fix notice the seed asks for: that a fix is coming,
/// when, how severe, and the mitigation steps to take until then (the
/// record's mitigation), without details of the vulnerability.
pub fn forthcoming_notice_text(
    case: &Case,
    estimated_release: Timestamp,
    mitigation: &str,
    link: Option<&str>,
) -> String {
    let project = &case.project;
    let mut body = format!(
        "A security vulnerability in {project} has been reported to the {project} \
         Product Security Team, and a fix will be made available.\n\n\
         Estimated release: {}\n",
        utc(estimated_release)
    );
    if let Some(vector) = &case.cvss_final {
        let _ = writeln!(
            body,
            "Severity: {} (CVSS {})",
            vector.severity(),
            vector.base_score()
        );
    }
    let _ = write!(
        body,
        "\nUntil the fix is released, you can protect yourself as follows:\n\n{}\n",
        mitigation.trim_end()
    );
    if let Some(link) = link {
        let _ = write!(body, "\nFollow the fix here: {link}\n");
    }
    body.push_str("\nPlease block time to apply the update on the release date.\n");
    body
}

/// The release announcement the seed asks for: the new versions, the CVE
/// ids, the CVSS, the fix commits and pull requests, and how to apply the
/// fix, all from the record, after the Fix Lead's own draft.
pub fn release_announcement_text(case: &Case, version: &str) -> String {
    let project = &case.project;
    let mut body = String::new();
    if let Some(text) = &case.announcement {
        let _ = write!(body, "{}\n\n", text.trim_end());
    }
    let _ = writeln!(body, "Release: {project} {version}");
    for cve in &case.cves {
        let _ = writeln!(body, "CVE: {cve}");
    }
    for alias in &case.record.aliases {
        let _ = writeln!(body, "Also known as: {alias}");
    }
    cvss_line(&mut body, case);
    if !case.record.products.is_empty() {
        body.push_str("\nAffected:\n");
        for p in &case.record.products {
            for r in &p.ranges {
                let range = match (&r.fixed, &r.last_affected) {
                    (Some(f), _) => format!(">= {}, fixed in {f}", r.introduced),
                    (None, Some(l)) => format!(">= {}, <= {l}", r.introduced),
                    (None, None) => format!(">= {}", r.introduced),
                };
                let _ = writeln!(body, "- {} ({}): {range}", p.package, p.ecosystem);
            }
        }
    }
    let mut fixed: Vec<&str> = Vec::new();
    for r in case.record.products.iter().flat_map(|p| &p.ranges) {
        if let Some(f) = r
            .fixed
            .as_deref()
            .filter(|_| r.kind != crate::RangeKind::Git)
            && !fixed.contains(&f)
        {
            fixed.push(f);
        }
    }
    if fixed.is_empty() {
        fixed.push(version);
    }
    let _ = write!(
        body,
        "\nHow to apply the fix: upgrade to {project} {}.\n",
        fixed.join(" or ")
    );
    if let Some(m) = &case.mitigation {
        let _ = write!(body, "If you cannot upgrade at once:\n\n{}\n", m.trim_end());
    }
    if !case.fix_commits.is_empty() {
        body.push_str("\nFix commits:\n");
        for commit in &case.fix_commits {
            match &commit.url {
                Some(url) => {
                    let _ = writeln!(body, "- {} {url}", commit.commit);
                }
                None => {
                    let _ = writeln!(body, "- {}", commit.commit);
                }
            }
        }
    }
    let prs: Vec<&str> = case
        .record
        .references
        .iter()
        .filter(|r| r.kind == crate::ReferenceKind::PullRequest)
        .map(|r| r.url.as_str())
        .collect();
    if !prs.is_empty() {
        body.push_str("\nFix pull requests:\n");
        for url in prs {
            let _ = writeln!(body, "- {url}");
        }
    }
    let credits = credit_lines(case);
    if !credits.is_empty() {
        body.push_str("\nWe thank:\n");
        for line in credits {
            let _ = writeln!(body, "- {line}");
        }
    }
    body
}

/// Reminders for an open case at `now`: one listing the milestones that
/// came within [`REMIND_BEFORE`] of their due time and one listing those
/// that are overdue, each written once for the same milestones and due
/// times (a due time that moves, or a milestone that joins, makes a new
/// one). They go to the Fix Lead, or to the PST while there is none.
/// With them come what the policy schedules: the final notice to
/// distributors, drafted once its window opens, and the ping of a case
/// quiet for longer than its severity allows.
pub fn reminders(case: &Case, now: Timestamp) -> Vec<Mail> {
    if !case.is_open() {
        return Vec::new();
    }
    let mut mails = due_reminders(case, now);
    mails.extend(crate::ending::final_notice_draft(case, now));
    mails.extend(crate::response::stale_ping(case, now));
    mails
}

/// The due-soon and overdue reminders of [`reminders`].
fn due_reminders(case: &Case, now: Timestamp) -> Vec<Mail> {
    let audience = match case.fix_lead() {
        Some(lead) => Audience::User(lead),
        None => Audience::Pst,
    };
    let mut overdue = Vec::new();
    let mut soon = Vec::new();
    for state in case.milestones() {
        let MilestoneStatus::Pending { due: Some(due) } = state.status else {
            continue;
        };
        let remind_at = due
            .at
            .saturating_sub(REMIND_BEFORE.to_signed())
            .unwrap_or(Timestamp::MIN);
        if now >= due.at {
            overdue.push((state.milestone, due));
        } else if now >= remind_at {
            soon.push((state.milestone, due));
        }
    }
    [
        ("overdue", "overdue", overdue),
        ("due-soon", "due soon", soon),
    ]
    .into_iter()
    .filter(|(_, _, list)| !list.is_empty())
    .map(|(stage, phrase, list)| {
        let reference = case.reference;
        let mut body = format!("{reference} ({}): {phrase}:\n", case.project);
        let mut once = format!("reminder:{reference}:{stage}");
        for (milestone, due) in &list {
            let _ = writeln!(body, "- {}: {}", milestone.title(), when(*due));
            let _ = write!(once, ":{}@{}", milestone.as_str(), due.at.as_microsecond());
        }
        let _ = write!(
            body,
            "\nAll due times:\n{}",
            due_lines(case, &Milestone::ALL)
        );
        let subject = match list.as_slice() {
            [(milestone, _)] => format!("[{reference}] {} is {phrase}", milestone.title()),
            _ => format!("[{reference}] {} milestones are {phrase}", list.len()),
        };
        Mail {
            kind: MailKind::Reminder,
            audience,
            subject,
            body,
            review: Review::Send,
            protection: Protection::EncryptIfKey,
            once: Some(once),
            attachments: Vec::new(),
        }
    })
    .collect()
}

/// The credits as the release announcement words them, one line per kind
/// of contribution in the order first credited: "Reported by Rita", "Fixed
/// by Alice and Bob", "Reported by someone who asked to stay anonymous".
/// The reporter's status page shows the same lines before the release, so
/// they can correct theirs.
pub fn credit_lines(case: &Case) -> Vec<String> {
    let mut kinds: Vec<crate::case::CreditKind> = Vec::new();
    for c in &case.credits {
        if !kinds.contains(&c.kind) {
            kinds.push(c.kind);
        }
    }
    kinds
        .into_iter()
        .map(|kind| {
            let mut names: Vec<String> = Vec::new();
            let mut anonymous = 0;
            for c in case.credits.iter().filter(|c| c.kind == kind) {
                match c.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    Some(name) if !names.iter().any(|n| n == name) => names.push(name.to_string()),
                    Some(_) => {}
                    None => anonymous += 1,
                }
            }
            match anonymous {
                0 => {}
                1 => names.push("someone who asked to stay anonymous".into()),
                n => names.push(format!("{n} people who asked to stay anonymous")),
            }
            let list = match names.as_slice() {
                [] => String::new(),
                [one] => one.clone(),
                [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            };
            format!("{} {list}", kind.phrase())
        })
        .collect()
}

/// The final CVSS as announcements show it: score, severity and vector.
fn cvss_line(body: &mut String, case: &Case) {
    if let Some(vector) = &case.cvss_final {
        let _ = writeln!(
            body,
            "CVSS: {} {} ({vector})",
            vector.base_score(),
            vector.severity()
        );
    }
}

/// One line per pending milestone among `which`, with its due time.
fn due_lines(case: &Case, which: &[Milestone]) -> String {
    let mut out = String::new();
    for milestone in which {
        let state = case.milestone(*milestone);
        if let MilestoneStatus::Pending { due: Some(due) } = state.status {
            let _ = writeln!(out, "- {}: {}", milestone.title(), when(due));
        }
    }
    out
}

fn when(due: Due) -> String {
    if due.asap {
        format!("as soon as possible (since {})", utc(due.at))
    } else {
        utc(due.at)
    }
}

/// An instant as mail shows it: unambiguous, in UTC, to the minute.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

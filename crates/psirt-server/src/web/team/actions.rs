//! The actions of the case page: each form's command, fields and
//! operation (`ACTIONS`), the table the page offers from.

use super::*;

/// An action of the case page: its form, the operation that decides
/// whether the form is offered, and the `CaseCommand` tag it becomes.
pub(super) struct Action {
    pub(super) command: &'static str,
    pub(super) title: &'static str,
    pub(super) op: Operation,
    pub(super) button: &'static str,
    pub(super) fields: &'static [Field],
}

pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) kind: Kind,
    pub(super) required: bool,
    pub(super) hint: Option<&'static str>,
    /// The value a fresh form starts with (the process's suggestion).
    pub(super) default: Option<&'static str>,
}

pub(super) const fn f(
    name: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
) -> Field {
    Field {
        name,
        label,
        kind,
        required,
        hint: None,
        default: None,
    }
}

pub(super) const fn h(
    name: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
    hint: &'static str,
) -> Field {
    Field {
        hint: Some(hint),
        ..f(name, label, kind, required)
    }
}

pub(super) const CVSS_FIELDS: &[Field] = &[h(
    "vector",
    "CVSS vector",
    Kind::Text,
    true,
    "v3.1 or v4.0, for example CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
)];

/// The triage decisions, as the `triage` command names them.
fn triage_outcomes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("accepted", "Accept: the process continues"),
        ("not_a_vulnerability", "Close: not a vulnerability"),
        ("duplicate", "Close: a duplicate"),
        ("moved_to_public_issue", "Close: move to a public issue"),
    ]
}

/// The short list of reasons, as the reporter reads them.
fn triage_reasons() -> Vec<(&'static str, &'static str)> {
    psirt_core::TriageReason::ALL
        .iter()
        .map(|r| (r.as_str(), r.title()))
        .collect()
}

/// The forms of the case page, in the order of the process. The CVSS
/// form is drawn separately (it previews), but submits like the others.
/// Triage's form starts filled in by the page (`triage::defaults`).
pub(super) const ACTIONS: &[Action] = &[
    Action {
        command: "triage",
        title: "Triage the report",
        op: Operation::Triage,
        button: "Record the decision",
        fields: &[
            f("outcome", "Decision", Kind::Choice(triage_outcomes), true),
            f("reason", "Reason", Kind::Choice(triage_reasons), true),
            h(
                "text",
                "Why, in a few words",
                Kind::Area,
                true,
                "On the timeline and in the reply to the reporter.",
            ),
            h(
                "duplicate_of",
                "Duplicate of",
                Kind::Text,
                false,
                "A case (PSIRT-YYYY-NNNN), a CVE or a GHSA id; filled in from the likeliest duplicate.",
            ),
            h(
                "issue_url",
                "Public issue",
                Kind::Url,
                false,
                "When the team filed the report publicly (with the reporter's consent); leave empty to offer the text to the reporter.",
            ),
            h(
                "message",
                "Reply to the reporter",
                Kind::Area,
                false,
                "The project's canned reply for the decision shown; edit it for this message, or empty it to send the canned reply of the decision you choose.",
            ),
        ],
    },
    Action {
        command: "assign_fix_lead",
        title: "Assign the Fix Lead",
        op: Operation::AssignFixLead,
        button: "Assign Fix Lead",
        fields: &[
            h(
                "lead",
                "Fix Lead's e-mail",
                Kind::Email,
                false,
                "Leave empty for the next PST member in the round-robin.",
            ),
            h(
                "reason",
                "Reason for choosing someone else",
                Kind::Text,
                false,
                "Needed when you name the Fix Lead.",
            ),
        ],
    },
    Action {
        command: "add_fix_team_member",
        title: "Add to the Fix Team",
        op: Operation::ManageFixTeam,
        button: "Add member",
        fields: &[f("member", "Member's e-mail", Kind::Email, true)],
    },
    Action {
        command: "propose_cvss",
        title: "Propose a CVSS vector",
        op: Operation::ProposeCvss,
        button: "Propose",
        fields: CVSS_FIELDS,
    },
    Action {
        command: "finalize_cvss",
        title: "Make the CVSS vector final",
        op: Operation::FinalizeCvss,
        button: "Make final",
        fields: CVSS_FIELDS,
    },
    Action {
        command: "remove_fix_team_member",
        title: "Remove from the Fix Team",
        op: Operation::ManageFixTeam,
        button: "Remove member",
        fields: &[
            f("member", "Member's e-mail", Kind::Email, true),
            h(
                "reason",
                "Reason",
                Kind::Text,
                true,
                "Recorded on the timeline.",
            ),
        ],
    },
    Action {
        command: "add_fix_commit",
        title: "Record a fix commit",
        op: Operation::RecordFixWork,
        button: "Record commit",
        fields: &[
            f("commit", "Commit id", Kind::Text, true),
            h(
                "author",
                "Author",
                Kind::Text,
                true,
                "The git identity, Name <email>.",
            ),
            f("url", "Link", Kind::Url, false),
        ],
    },
    // The private fix repository (issue 17): psirt's job reads the fix
    // commits from its branch and plans the cherry-picks.
    Action {
        command: "link_fix_repository",
        title: "Link the fix repository",
        op: Operation::RecordFixWork,
        button: "Link repository",
        fields: &[
            h(
                "location",
                "Repository",
                Kind::Text,
                true,
                "A path or URL psirt can fetch from (https, ssh or file).",
            ),
            h(
                "branch",
                "Fix branch",
                Kind::Text,
                true,
                "The private branch the fix commits are on.",
            ),
            h(
                "base",
                "Base",
                Kind::Text,
                true,
                "The branch the fix starts from, e.g. main: the fix commits are base..branch.",
            ),
            h(
                "release_branches",
                "Release branches that need the fix",
                Kind::Lines,
                false,
                "One a line; each is planned onto its last release tag.",
            ),
            h(
                "tag_pattern",
                "Release tag pattern",
                Kind::Text,
                false,
                "A git glob; v* when empty.",
            ),
        ],
    },
    Action {
        command: "approve_commit",
        title: "Give a commit your LGTM",
        op: Operation::RecordFixWork,
        button: "LGTM",
        fields: &[f("commit", "Commit id", Kind::Text, true)],
    },
    Action {
        command: "mark_fix_ready",
        title: "Mark the fix ready",
        op: Operation::MarkFixReady,
        button: "Fix is ready",
        fields: &[],
    },
    Action {
        command: "record_mitigation",
        title: "Record a mitigation",
        op: Operation::RecordFixWork,
        button: "Record mitigation",
        fields: &[f("steps", "Mitigation steps", Kind::Area, true)],
    },
    Action {
        command: "publish_notice",
        title: "Publish the forthcoming-fix notice",
        op: Operation::PublishNotice,
        button: "Record notice",
        fields: &[
            h(
                "estimated_release",
                "Estimated release (UTC)",
                Kind::DateTime,
                true,
                "Date and time, UTC.",
            ),
            f("mitigation", "Mitigation steps for users", Kind::Area, true),
            f("link", "Link to the published notice", Kind::Url, false),
        ],
    },
    Action {
        command: "decide_distributors",
        title: "Decide on the distributor pre-notification",
        op: Operation::NotifyDistributors,
        button: "Record decision",
        fields: &[
            f(
                "notify",
                "Pre-notify the private distributors list?",
                Kind::YesNo,
                true,
            ),
            h(
                "rationale",
                "Rationale",
                Kind::Area,
                true,
                "Generally reserved for remotely exploitable or privilege-escalation issues.",
            ),
            h(
                "embargo_end",
                "Embargo ends (UTC)",
                Kind::DateTime,
                false,
                "Needed when notifying.",
            ),
            f(
                "long_embargo_reason",
                "Reason for an embargo longer than the policy's",
                Kind::Text,
                false,
            ),
        ],
    },
    Action {
        command: "notify_distributors",
        title: "Send the distributor pre-notification",
        op: Operation::NotifyDistributors,
        button: "Record pre-notification",
        fields: &[h(
            "patches",
            "Patches",
            Kind::Lines,
            true,
            "One per line (links or file names).",
        )],
    },
    Action {
        command: "set_upstream_embargo",
        title: "Follow an upstream embargo",
        op: Operation::SetUpstreamEmbargo,
        button: "Record upstream embargo",
        fields: &[
            h(
                "upstream",
                "Upstream project",
                Kind::Text,
                true,
                "The project whose embargo this case follows.",
            ),
            h(
                "until",
                "Upstream embargo ends (UTC)",
                Kind::DateTime,
                true,
                "It replaces the release due time.",
            ),
        ],
    },
    Action {
        command: "slow_down",
        title: "Slow the case down",
        op: Operation::SlowDown,
        button: "Record slow-down",
        fields: &[
            h(
                "reason",
                "Reason",
                Kind::Text,
                true,
                "Only for low severity (CVSS below 4.0); holidays and bandwidth are valid reasons.",
            ),
            h(
                "discussion",
                "Link to the discussion",
                Kind::Url,
                true,
                "Where the team agreed to slow down.",
            ),
            h(
                "extension",
                "Extension",
                Kind::Text,
                false,
                "Like 14d; leave empty for the policy's.",
            ),
        ],
    },
    Action {
        command: "mark_publicly_disclosed",
        title: "Mark as publicly disclosed",
        op: Operation::MarkPubliclyDisclosed,
        button: "Mark public",
        fields: &[h(
            "link",
            "Where it was disclosed",
            Kind::Url,
            false,
            "Every due time becomes as soon as possible.",
        )],
    },
    Action {
        command: "request_private_handling",
        title: "Ask the reporter to handle it privately",
        op: Operation::NegotiatePrivateHandling,
        button: "Record the request",
        fields: &[],
    },
    Action {
        command: "record_private_handling_answer",
        title: "Record the reporter's answer on private handling",
        op: Operation::NegotiatePrivateHandling,
        button: "Record answer",
        fields: &[h(
            "agreed",
            "Did the reporter agree to handle it privately?",
            Kind::YesNo,
            true,
            "A no keeps every due time at as soon as possible.",
        )],
    },
    Action {
        command: "report_embargo_break",
        title: "Report an embargo break",
        op: Operation::ReportEmbargoBreak,
        button: "Report the leak",
        fields: &[
            f("what", "What leaked", Kind::Area, true),
            f("to_whom", "To whom", Kind::Text, true),
            h(
                "when",
                "When (UTC)",
                Kind::DateTime,
                true,
                "Date and time of the leak, UTC.",
            ),
        ],
    },
    Action {
        command: "assess_embargo_break",
        title: "Assess the embargo break",
        op: Operation::AssessEmbargoBreak,
        button: "Record assessment",
        fields: &[
            h(
                "release_early",
                "Release early?",
                Kind::YesNo,
                true,
                "Yes pulls every due time to now and moves the public date; no keeps the plan.",
            ),
            h(
                "release_at",
                "New public date (UTC)",
                Kind::DateTime,
                false,
                "With yes: when the fix goes public (default now). Every notified distributor is told.",
            ),
            f("reason", "Reason", Kind::Text, true),
        ],
    },
    Action {
        command: "request_cve_reservation",
        title: "Request a CVE from CVE Services",
        op: Operation::RecordCve,
        button: "Request CVE",
        fields: &[],
    },
    Action {
        command: "record_cve",
        title: "Record the CVE",
        op: Operation::RecordCve,
        button: "Record CVE",
        fields: &[h(
            "cve",
            "CVE id",
            Kind::Text,
            true,
            "For example CVE-2026-12345.",
        )],
    },
    Action {
        command: "waive_cve",
        title: "Release without a CVE",
        op: Operation::RecordCve,
        button: "Waive CVE",
        fields: &[f("reason", "Reason", Kind::Text, true)],
    },
    Action {
        command: "draft_announcement",
        title: "Draft the announcement",
        op: Operation::DraftAnnouncement,
        button: "Save draft",
        fields: &[f("text", "Announcement", Kind::Area, true)],
    },
    Action {
        command: "resolve_cherry_pick",
        title: "Record how a cherry-pick conflict was resolved",
        op: Operation::Release,
        button: "Record resolution",
        fields: &[
            h(
                "branch",
                "Release branch",
                Kind::Text,
                true,
                "The branch whose plan has conflicts.",
            ),
            h(
                "commits",
                "Resulting commits",
                Kind::Lines,
                true,
                "One commit id a line: the commits that carry the fix on that branch.",
            ),
        ],
    },
    Action {
        command: "release",
        title: "Release the fix",
        op: Operation::Release,
        button: "Record release",
        fields: &[
            f("version", "Released version", Kind::Text, true),
            h(
                "base_release",
                "Base release",
                Kind::Text,
                true,
                "The last release the fix was cherry-picked onto.",
            ),
            h(
                "cherry_picks",
                "Cherry-picked commits",
                Kind::Lines,
                true,
                "One commit id per line.",
            ),
        ],
    },
    Action {
        command: "record_advisory",
        title: "Record an advisory",
        op: Operation::RecordAdvisory,
        button: "Record advisory",
        fields: &[
            h(
                "format",
                "Format",
                Kind::Text,
                true,
                "For example OSV, CVE JSON 5, CSAF or Markdown.",
            ),
            h(
                "location",
                "Location",
                Kind::Text,
                true,
                "Where it is published: a link or a path.",
            ),
        ],
    },
    // The advisory record (psirt-core's record.rs): what every exported
    // advisory is rendered from.
    Action {
        command: "describe_advisory",
        title: "Describe the advisory",
        op: Operation::RecordAdvisory,
        button: "Save description",
        fields: &[
            h(
                "title",
                "Public title",
                Kind::Text,
                false,
                "One line; the report's summary until set.",
            ),
            h(
                "description",
                "Description",
                Kind::Area,
                false,
                "Public, in Markdown. The report itself stays embargoed.",
            ),
            f("impact", "Impact", Kind::Area, false),
        ],
    },
    Action {
        command: "set_affected_product",
        title: "Add an affected product",
        op: Operation::RecordAdvisory,
        button: "Save product",
        fields: &[
            h(
                "package",
                "Package",
                Kind::Text,
                true,
                "Its name in its ecosystem, e.g. github.com/coredns/coredns.",
            ),
            h(
                "ecosystem",
                "Ecosystem",
                Kind::Text,
                true,
                "An OSV ecosystem: Go, npm, PyPI, crates.io, Maven, …",
            ),
            h(
                "purl",
                "Package URL",
                Kind::Text,
                false,
                "Without a version, e.g. pkg:golang/github.com/coredns/coredns.",
            ),
            h(
                "ranges",
                "Affected versions",
                Kind::Lines,
                true,
                "One range a line: semver:1.9.0..1.11.2 (fixed in 1.11.2), semver:0..=1.11.1 (last affected), ecosystem:… or git:COMMIT..COMMIT.",
            ),
            h(
                "repo",
                "Repository",
                Kind::Url,
                false,
                "For git ranges: the repository's URL.",
            ),
            h(
                "branches",
                "Release branches that need the fix",
                Kind::Lines,
                false,
                "One a line.",
            ),
        ],
    },
    Action {
        command: "add_weakness",
        title: "Add a weakness (CWE)",
        op: Operation::RecordAdvisory,
        button: "Add weakness",
        fields: &[
            h("cwe", "CWE id", Kind::Text, true, "For example CWE-400."),
            h(
                "name",
                "Name",
                Kind::Text,
                true,
                "As MITRE's CWE list names it.",
            ),
        ],
    },
    Action {
        command: "add_reference",
        title: "Add a reference",
        op: Operation::RecordAdvisory,
        button: "Add reference",
        fields: &[
            h(
                "kind",
                "Type",
                Kind::Text,
                true,
                "fix_commit, pull_request, issue, report, advisory, announcement or web.",
            ),
            f("url", "URL", Kind::Url, true),
        ],
    },
    Action {
        command: "add_alias",
        title: "Add an alias",
        op: Operation::RecordAdvisory,
        button: "Add alias",
        fields: &[h(
            "alias",
            "Id given elsewhere",
            Kind::Text,
            true,
            "A GHSA id or a distribution's tracker id.",
        )],
    },
    Action {
        command: "hold_retrospective",
        title: "Hold the retrospective",
        op: Operation::Close,
        button: "Record retrospective",
        fields: &[f("notes", "Notes", Kind::Area, true)],
    },
    Action {
        command: "message_reporter",
        title: "Write to the reporter",
        op: Operation::MessageReporter,
        button: "Send to reporter",
        fields: &[h(
            "text",
            "Message",
            Kind::Area,
            true,
            "Shown on the reporter's status page.",
        )],
    },
    Action {
        command: "close",
        title: "Close the case",
        op: Operation::Close,
        button: "Close case",
        fields: &[],
    },
];

/// A fresh form's values: the fields' suggested defaults.
pub(super) fn defaults(a: &Action) -> Fields {
    let mut values = Fields::default();
    for field in a.fields {
        if let Some(d) = field.default {
            values.set(field.name, d);
        }
    }
    values
}

pub(super) fn action(command: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.command == command)
}

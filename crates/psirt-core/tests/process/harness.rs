//! A tiny world for driving cases: one case, its timeline, a fake clock that
//! only moves when a test says so, and the project's PST roster with the Fix
//! Lead rotation's state.
//!
//! `run` is what the store does with a command: ask `decide`, and on success
//! store every change as an event and fold it into the case; an assigned Fix
//! Lead takes a turn in the rotation. On a refusal it checks that nothing
//! changed, which is the engine's promise.

use std::fmt::Write as _;

use expect_test::Expect;
use jiff::Timestamp;
use psirt_core::cvss::Vector;
use psirt_core::{
    Actor, ActorRef, Case, CaseRef, Change, CommitId, Context, Credit, CreditKind, CveId,
    DistributorDecision, Duration, Event, MilestoneStatus, NewReport, Policy, Refusal, Reporter,
    RosterEntry, Secret, UserId, decide, next_fix_lead, open_case,
};

/// The Product Security Team: three maintainers who volunteered.
pub const ALICE: UserId = UserId::new(1);
pub const BOB: UserId = UserId::new(2);
pub const CAROL: UserId = UserId::new(3);
pub const PST: [UserId; 3] = [ALICE, BOB, CAROL];
/// A maintainer outside the PST, brought onto Fix Teams for expertise.
pub const DAVE: UserId = UserId::new(4);
/// Another contributor outside the PST.
pub const ERIN: UserId = UserId::new(5);
/// A signed-in person with no standing on any case.
pub const MALLORY: UserId = UserId::new(66);

/// How the timeline and git name a person.
pub fn name(user: UserId) -> String {
    match user {
        ALICE => "alice".into(),
        BOB => "bob".into(),
        CAROL => "carol".into(),
        DAVE => "dave".into(),
        ERIN => "erin".into(),
        MALLORY => "mallory".into(),
        other => other.to_string(),
    }
}

/// The PST in roster order, everyone available and nobody's turn yet: the
/// rotation starts with Alice.
pub fn fresh_roster() -> Vec<RosterEntry> {
    PST.iter()
        .map(|&user| RosterEntry {
            user,
            available: true,
            last_turn: None,
        })
        .collect()
}

/// CVSS 3.1 base 9.8: network, no privileges, no interaction, full impact.
pub const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
/// A low-severity vector: physical access, high complexity, a little
/// confidentiality (its score is checked in `low_severity`).
pub const LOW: &str = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";

/// Monday 2 March 2026, 09:00 UTC: when the first report reaches the team.
pub fn day0() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

/// `day0()` moved by a duration such as `"7d"` or `"36h"`.
pub fn day0_plus(by: &str) -> Timestamp {
    day0() + duration(by).to_signed()
}

pub fn duration(s: &str) -> Duration {
    s.parse()
        .unwrap_or_else(|e| panic!("bad duration {s:?}: {e}"))
}

pub fn vector(s: &str) -> Vector {
    s.parse()
        .unwrap_or_else(|e| panic!("bad vector {s:?}: {e:?}"))
}

pub fn commit(s: &str) -> CommitId {
    s.parse().unwrap()
}

pub fn cve(s: &str) -> CveId {
    s.parse().unwrap()
}

/// A private report, as it arrives at security@.
pub fn private_report() -> NewReport {
    NewReport {
        project: "coredns".into(),
        summary: "Cache poisoning through crafted CNAME chains".into(),
        details: Secret::new("REPRODUCER: dig @127.0.0.1 evil.example -- 0xdeadbeef".into()),
        reporter: Some(Reporter {
            name: Some("Jane Doe".into()),
            email: Some("jane@example.org".parse().unwrap()),
        }),
        public_link: None,
        already_public: false,
        ai_assisted: false,
    }
}

/// A report of a vulnerability someone already disclosed in a public issue.
pub fn public_report() -> NewReport {
    NewReport {
        public_link: Some("https://github.com/coredns/coredns/issues/9999".into()),
        already_public: true,
        ..private_report()
    }
}

pub struct World {
    pub case: Case,
    pub events: Vec<Event>,
    pub now: Timestamp,
    /// The active members of the project's PST, with the rotation's state.
    pub pst: Vec<RosterEntry>,
    /// The project's rotation counter: the number of Fix Lead turns taken,
    /// overrides included.
    pub turn: u64,
    /// Where the events of the last accepted command start.
    pub last: usize,
}

impl World {
    /// A private report reaching the team at `day0()`, under the seed's policy.
    pub fn private() -> World {
        World::open(private_report(), Policy::default())
    }

    pub fn public() -> World {
        World::open(public_report(), Policy::default())
    }

    pub fn open(report: NewReport, policy: Policy) -> World {
        World::open_at(report, policy, 1, day0())
    }

    /// Opens case `PSIRT-2026-<number>` at `at`, as intake does: the report
    /// and its acknowledgement, together.
    pub fn open_at(report: NewReport, policy: Policy, number: u32, at: Timestamp) -> World {
        let reference = CaseRef::new(2026, number).unwrap();
        let changes =
            open_case(report, reference, policy).unwrap_or_else(|r| panic!("report refused: {r}"));
        let events: Vec<Event> = changes
            .into_iter()
            .zip(1..)
            .map(|(change, seq)| Event {
                seq,
                at,
                actor: ActorRef::System,
                change,
            })
            .collect();
        let case = Case::from_events(&events).expect("a case starts with its report");
        World {
            case,
            events,
            now: at,
            pst: fresh_roster(),
            turn: 0,
            last: 0,
        }
    }

    /// Moves the clock forward by `"2h"`, `"3d"`, ...
    pub fn advance(&mut self, by: &str) {
        self.now += duration(by).to_signed();
    }

    /// Sets the clock to `day0() + by`.
    pub fn at(&mut self, by: &str) {
        let t = day0_plus(by);
        assert!(t >= self.now, "the clock never goes back");
        self.now = t;
    }

    pub fn ctx(&self) -> Context<'_> {
        Context {
            now: self.now,
            pst: &self.pst,
        }
    }

    /// A signed-in person; whether they are on the PST follows the roster.
    pub fn person(&self, user: UserId) -> Actor {
        Actor::Person {
            user,
            pst: self.pst.iter().any(|e| e.user == user),
            admin: false,
        }
    }

    pub fn lead(&self) -> Actor {
        self.person(self.case.fix_lead().expect("the case has a Fix Lead"))
    }

    pub fn try_run(&mut self, actor: Actor, command: psirt_core::Command) -> Result<(), Refusal> {
        let before = self.case.clone();
        let events_before = self.events.len();
        match decide(&self.case, &actor, command, self.ctx()) {
            Ok(changes) => {
                assert!(!changes.is_empty(), "an accepted command records something");
                for change in changes {
                    let event = Event {
                        seq: self.events.len() as u64 + 1,
                        at: self.now,
                        actor: actor.as_ref(),
                        change,
                    };
                    self.case.apply(&event);
                    self.take_turn(&event.change);
                    self.events.push(event);
                }
                assert_eq!(self.case.version, self.events.len() as u64);
                self.last = events_before;
                Ok(())
            }
            Err(refusal) => {
                assert_eq!(self.case, before, "a refusal changes nothing");
                assert_eq!(self.events.len(), events_before);
                Err(refusal)
            }
        }
    }

    /// What the store does, through the same function: an assigned Fix
    /// Lead takes the project's next turn, whether the rotation chose them
    /// or not.
    fn take_turn(&mut self, change: &Change) {
        let Change::FixLeadAssigned { lead, .. } = change else {
            return;
        };
        self.turn = psirt_core::take_turn(&mut self.pst, self.turn, *lead);
    }

    /// Makes it `user`'s turn in the rotation, as if everyone else on the
    /// PST had led a case since.
    pub fn turn_of(&mut self, user: UserId) {
        if next_fix_lead(&self.pst) == Some(user) {
            return;
        }
        for entry in self.pst.iter_mut().filter(|e| e.user != user) {
            self.turn += 1;
            entry.last_turn = Some(self.turn);
        }
        assert_eq!(next_fix_lead(&self.pst), Some(user), "{user} is available");
    }

    pub fn run(&mut self, actor: Actor, command: psirt_core::Command) -> Result<(), String> {
        self.try_run(actor, command).map_err(|r| r.to_string())
    }

    #[track_caller]
    pub fn ok(&mut self, actor: Actor, command: psirt_core::Command) {
        if let Err(e) = self.run(actor, command.clone()) {
            panic!("{command:?} refused: {e}");
        }
    }

    /// The refusal's message; panics if the command was accepted.
    #[track_caller]
    pub fn refused(&mut self, actor: Actor, command: psirt_core::Command) -> String {
        match self.run(actor, command.clone()) {
            Ok(()) => panic!("{command:?} was accepted"),
            Err(e) => e,
        }
    }

    /// Checks an outcome against an inline expectation: `ok`, or the kind
    /// of refusal (the rule's name, `invalid`, `denied`) and its message.
    #[track_caller]
    pub fn check(&mut self, actor: Actor, command: psirt_core::Command, expect: Expect) {
        let outcome = outcome(self.try_run(actor, command));
        expect.assert_eq(&outcome);
    }

    // The seed's steps, for tests that need a case further along.

    /// It is `lead`'s turn, and a PST member assigns the rotation's pick.
    pub fn assign(&mut self, lead: UserId) {
        self.turn_of(lead);
        self.ok(
            self.person(ALICE),
            psirt_core::Command::AssignFixLead {
                lead: None,
                override_reason: None,
            },
        );
        assert_eq!(self.case.fix_lead(), Some(lead));
    }

    /// Alice leads, with Dave on the Fix Team.
    pub fn form_team(&mut self) {
        self.assign(ALICE);
        self.ok(
            self.lead(),
            psirt_core::Command::FormFixTeam {
                members: vec![DAVE],
            },
        );
    }

    pub fn finalize_cvss(&mut self, v: &str) {
        self.ok(
            self.lead(),
            psirt_core::Command::FinalizeCvss { vector: vector(v) },
        );
    }

    /// Dave writes one commit, Alice gives it an LGTM, Dave marks it ready.
    pub fn fix(&mut self) {
        self.ok(
            self.person(DAVE),
            psirt_core::Command::AddFixCommit {
                commit: commit("abc1234"),
                author: "dave".into(),
                author_user: Some(DAVE),
                url: None,
            },
        );
        self.ok(
            self.person(ALICE),
            psirt_core::Command::ApproveCommit {
                commit: commit("abc1234"),
            },
        );
        self.ok(self.person(DAVE), psirt_core::Command::MarkFixReady);
    }

    /// Everything the release needs: team, final CVSS, a ready fix, a CVE
    /// and the announcement draft.
    pub fn ready_to_release(&mut self) {
        if self.case.fix_lead().is_none() {
            self.form_team();
        }
        self.finalize_cvss(CRITICAL);
        self.fix();
        self.ok(
            self.lead(),
            psirt_core::Command::RecordCve {
                cve: cve("CVE-2026-12345"),
            },
        );
        self.ok(
            self.person(DAVE),
            psirt_core::Command::DraftAnnouncement {
                text: "CoreDNS 1.12.1 fixes CVE-2026-12345.".into(),
            },
        );
    }

    /// The Fix Lead decides to pre-notify distributors with an embargo
    /// ending at `day0() + embargo_end`, and sends the patches.
    pub fn notify_distributors(&mut self, embargo_end: &str) {
        self.ok(
            self.lead(),
            psirt_core::Command::DecideDistributors(DistributorDecision {
                notify: true,
                rationale: "remotely exploitable".into(),
                embargo_end: Some(day0_plus(embargo_end)),
                long_embargo_reason: None,
                off_slot_reason: None,
            }),
        );
        self.ok(
            self.lead(),
            psirt_core::Command::NotifyDistributors {
                patches: vec!["From abc1234 Mon Sep 17 00:00:00 2001\n...".into()],
                affected_versions: Some(">= 1.9.0, < 1.12.1".into()),
                fixed_versions: Some("1.12.1".into()),
            },
        );
    }

    pub fn release(&mut self) {
        self.ok(self.lead(), release_command());
    }

    /// Release, credit, advisory: everything closing needs.
    pub fn release_and_wrap_up(&mut self) {
        self.release();
        self.ok(
            Actor::Reporter,
            psirt_core::Command::RecordCredit(Credit {
                name: Some("Jane Doe".into()),
                kind: CreditKind::Finder,
            }),
        );
        self.ok(
            self.lead(),
            psirt_core::Command::RecordAdvisory {
                format: "osv".into(),
                location: "https://github.com/coredns/coredns/security/advisories/GHSA-xxxx".into(),
            },
        );
    }

    /// The mail the last accepted command writes.
    pub fn mails(&self) -> Vec<psirt_core::Mail> {
        psirt_core::mails_for(&self.case, &self.events[self.last..])
    }

    /// The milestone table: each milestone with its done or due time,
    /// relative to the disclosure time (when the report reached the team).
    pub fn milestones(&self) -> String {
        let mut out = String::new();
        for state in self.case.milestones() {
            let status = match state.status {
                MilestoneStatus::Done { at } => format!("done     {}", self.rel(at)),
                MilestoneStatus::Skipped { at } => format!("skipped  {}", self.rel(at)),
                MilestoneStatus::Pending { due: Some(due) } => format!(
                    "due      {}{}",
                    self.rel(due.at),
                    if due.asap { " ASAP" } else { "" }
                ),
                MilestoneStatus::Pending { due: None } => "pending".to_string(),
                MilestoneStatus::NotApplicable => "n/a".to_string(),
            };
            writeln!(out, "{:<22} {status}", state.milestone.as_str()).unwrap();
        }
        out
    }

    /// Only the pending due times, for tests about how decisions move them.
    pub fn dues(&self) -> String {
        let mut out = String::new();
        for state in self.case.milestones() {
            if let Some(due) = state.due() {
                writeln!(
                    out,
                    "{:<22} {}{}",
                    state.milestone.as_str(),
                    self.rel(due.at),
                    if due.asap { " ASAP" } else { "" }
                )
                .unwrap();
            }
        }
        out
    }

    pub fn rel(&self, t: Timestamp) -> String {
        relative(self.case.reported_at, t)
    }
}

/// `t` relative to `from`, as `+7d`, `+36h`, `-90m`.
pub fn relative(from: Timestamp, t: Timestamp) -> String {
    let minutes = from.duration_until(t).as_mins();
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{}", Duration::minutes(minutes.abs()))
}

/// How a test shows the result of a command.
pub fn outcome(result: Result<(), Refusal>) -> String {
    match result {
        Ok(()) => "ok".to_string(),
        Err(Refusal::Rule(rule)) => {
            let debug = format!("{rule:?}");
            let name = debug
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_string();
            format!("{name}: {rule}")
        }
        Err(r @ Refusal::Invalid { .. }) => format!("invalid {r}"),
        Err(r @ Refusal::Denied(_)) => format!("denied: {r}"),
    }
}

/// The release, recorded for the public instant `at`.
pub fn release_for(at: Timestamp) -> psirt_core::Command {
    match release_command() {
        psirt_core::Command::Release {
            version,
            base_release,
            cherry_picks,
            ..
        } => psirt_core::Command::Release {
            version,
            base_release,
            cherry_picks,
            public_at: Some(at),
        },
        other => other,
    }
}

pub fn release_command() -> psirt_core::Command {
    psirt_core::Command::Release {
        version: "v1.12.1".into(),
        base_release: "v1.12.0".into(),
        cherry_picks: vec![commit("abc1234")],
        public_at: None,
    }
}

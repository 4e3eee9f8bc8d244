//! A case's summary, the projection lists read: it says what the fold
//! says, at every step of the process, and it decides nothing by the
//! clock.

use psirt_core::{Milestone, Operation, authorize, authorize_summary, summary};

use crate::harness::*;

/// A step of the process, run on a world.
type Step = Box<dyn Fn(&mut World)>;

/// Every step of the private path, checked against the fold each time:
/// the summary is the fold's answers, not a second set of rules.
#[test]
fn the_summary_follows_the_fold_through_the_whole_process() {
    let mut w = World::private();
    let steps: Vec<Step> = vec![
        Box::new(|_| {}),
        Box::new(|w| w.form_team()),
        Box::new(|w| w.ready_to_release()),
        Box::new(|w| {
            w.at("5d");
            w.notify_distributors("18d")
        }),
        Box::new(|w| {
            w.at("18d");
            w.release_and_wrap_up()
        }),
    ];
    for step in steps {
        step(&mut w);
        let s = summary(&w.case);
        assert_eq!(s.reference, w.case.reference);
        assert_eq!(s.project, w.case.project);
        assert_eq!(s.open, w.case.is_open());
        assert_eq!(s.urgent, w.case.urgent());
        assert_eq!(s.fix_lead, w.case.fix_lead());
        assert_eq!(s.fix_team, w.case.fix_team);
        assert_eq!(s.next_due, w.case.next_due());
        assert_eq!(s.public_from, psirt_core::public_at(&w.case));
        assert_eq!(s.version, w.case.version);
        assert_eq!(
            s.score,
            w.case.cvss_final.as_ref().map(|v| v.base_score()),
            "the score is the final vector's"
        );
        let pending: Vec<_> = w
            .case
            .milestones()
            .iter()
            .filter_map(|m| Some((m.milestone, m.due()?)))
            .collect();
        assert_eq!(s.pending.len(), pending.len());
        assert!(pending.iter().all(|p| s.pending.contains(p)));
        // The most pressing pending milestone comes first, and its due time
        // is what the agenda key orders by.
        assert_eq!(s.pending.first().copied(), s.next_due);
        // Each summary survives the store's round trip unchanged.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            serde_json::from_str::<psirt_core::CaseSummary>(&json).unwrap(),
            s
        );
    }
    let s = summary(&w.case);
    let (at, version) = s.released.clone().expect("released");
    assert_eq!(at, w.case.release().unwrap().at);
    assert_eq!(version, w.case.release().unwrap().version);
    assert!(
        s.public_from.is_some_and(|p| p <= at),
        "public at the release at the latest"
    );
}

/// A public disclosure makes the case urgent and every due time "as soon
/// as possible"; the summary's key sorts it before any normal case.
#[test]
fn an_urgent_case_sorts_first_and_cases_sort_by_their_next_due_time() {
    let public = World::public();
    let mut early = World::private();
    early.form_team();
    let late = World::open_at(private_report(), Default::default(), 2, day0_plus("30d"));
    let (public, early, late) = (
        summary(&public.case),
        summary(&early.case),
        summary(&late.case),
    );
    assert!(public.urgent && public.next_due.is_some_and(|(_, d)| d.asap));
    assert!(public.agenda_key() < early.agenda_key());
    assert!(early.agenda_key() < late.agenda_key());
    let mut closed = World::private();
    closed.form_team();
    closed.ready_to_release();
    closed.release_and_wrap_up();
    closed.ok(closed.lead(), psirt_core::Command::Close);
    let closed = summary(&closed.case);
    assert!(!closed.open);
    assert_eq!(closed.next_due, None);
    assert!(
        late.agenda_key() < closed.agenda_key(),
        "nothing due sorts last"
    );
}

/// Listing decides on the summary exactly as on the case: the PST, the
/// Fix Lead and the Fix Team may view it, nobody else.
#[test]
fn authorizing_on_the_summary_is_the_same_decision_as_on_the_case() {
    let mut w = World::private();
    w.form_team();
    let s = summary(&w.case);
    assert_eq!(s.next_due.map(|(m, _)| m), Some(Milestone::CvssScored));
    for user in [ALICE, BOB, CAROL, DAVE, MALLORY] {
        for pst in [false, true] {
            let actor = psirt_core::Actor::Person {
                user,
                pst,
                admin: false,
            };
            assert_eq!(
                authorize(&actor, Operation::ViewCase, &w.case),
                authorize_summary(&actor, Operation::ViewCase, &s),
                "user {user:?}, pst {pst}"
            );
        }
    }
    let dave = psirt_core::Actor::Person {
        user: DAVE,
        pst: false,
        admin: false,
    };
    assert!(authorize_summary(&dave, Operation::ViewCase, &s).is_ok());
    assert!(s.on_fix_team(DAVE) && s.on_fix_team(ALICE) && !s.on_fix_team(MALLORY));
}

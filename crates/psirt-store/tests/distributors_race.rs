//! Two commands on one organisation at the same time are decided one after
//! the other, each on the state that includes the other: the store locks
//! the organisation's row (PostgreSQL; SQLite has one writer) before it
//! loads its events. Near the limit of people, of two additions at once
//! exactly one passes and the other is refused naming `people`: the team
//! never holds more than `MAX_PEOPLE` current people; of two vouchings at
//! once (a double click), the second finds the organisation vouched.

use jiff::{SignedDuration, Timestamp};
use psirt_core::distributors::MAX_PEOPLE;
use psirt_core::{EmailAddress, Policy};
use psirt_store::{Application, Caller, NewPerson, OrgState, Principal, Store, StoreError};

#[macro_use]
mod common;

fn at(minutes: i64) -> Timestamp {
    "2026-11-02T09:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

fn email(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

fn someone(address: &str) -> NewPerson {
    NewPerson {
        name: "Someone".into(),
        email: email(address),
        key: None,
    }
}

async fn current_people(store: &Store, founder: &Caller, org: i64) -> usize {
    let org = store.distributor_org(founder, org).await.unwrap();
    org.people.iter().filter(|p| p.removed_at.is_none()).count()
}

/// How many rounds of two additions at once: without the lock, the two
/// transactions read the same events in most rounds.
const ROUNDS: usize = 6;

both!(
    two_additions_at_once_near_the_limit_never_exceed_it,
    |store: Store| async move {
        store
            .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
            .await
            .unwrap();
        let origin = store
            .found_distributor(
                "coredns",
                "Origin",
                someone("founder@origin.example"),
                at(0),
            )
            .await
            .unwrap();
        let founder_user = store
            .user_by_email(&email("founder@origin.example"))
            .await
            .unwrap();
        let founder = Caller::cli(Principal::User(founder_user));
        // One short of the limit.
        for i in 1..MAX_PEOPLE - 1 {
            store
                .add_distributor_person(
                    &founder,
                    origin.id,
                    someone(&format!("p{i}@origin.example")),
                    at(1),
                )
                .await
                .unwrap();
        }
        assert_eq!(
            current_people(&store, &founder, origin.id).await,
            MAX_PEOPLE - 1
        );

        for round in 0..ROUNDS {
            let now = at(10 + round as i64);
            let (a, b) = (
                format!("a{round}@origin.example"),
                format!("b{round}@origin.example"),
            );
            let (first, second) = tokio::join!(
                store.add_distributor_person(&founder, origin.id, someone(&a), now),
                store.add_distributor_person(&founder, origin.id, someone(&b), now),
            );
            let refusals: Vec<String> = [&first, &second]
                .into_iter()
                .filter_map(|r| match r {
                    Ok(_) => None,
                    Err(StoreError::Invalid { field, reason }) => {
                        Some(format!("{field}: {reason}"))
                    }
                    Err(other) => panic!("round {round}: expected a refusal, got {other:?}"),
                })
                .collect();
            assert_eq!(
                refusals,
                ["people: at most 50 people; remove one first"],
                "round {round}: exactly one of the two passes"
            );
            assert_eq!(
                current_people(&store, &founder, origin.id).await,
                MAX_PEOPLE
            );
            // The events say the same as the rows.
            store.check_distributor_org(origin.id).await.unwrap();
            let added = if first.is_ok() { a } else { b };
            store
                .remove_distributor_person(&founder, origin.id, &email(&added), now)
                .await
                .unwrap();
        }
    }
);

fn application(round: usize) -> Application {
    Application {
        project: "coredns".into(),
        organisation: format!("Distro {round}"),
        answers: [
            "We ship CoreDNS in Distro Linux.",
            "Millions of installations outside our company.",
            "https://distro.example/security lists every fix.",
            "We build from upstream sources ourselves.",
            "We send patches and review pull requests.",
            "We accept the embargo policy.",
            "founder@origin.example vouches for us.",
        ]
        .map(String::from)
        .to_vec(),
        list_address: None,
        people: vec![someone(&format!("ann{round}@distro.example"))],
        voucher: email("founder@origin.example"),
    }
}

both!(
    two_vouchings_at_once_record_one,
    |store: Store| async move {
        store
            .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
            .await
            .unwrap();
        store
            .found_distributor(
                "coredns",
                "Origin",
                someone("founder@origin.example"),
                at(0),
            )
            .await
            .unwrap();
        let founder = Caller::cli(Principal::User(
            store
                .user_by_email(&email("founder@origin.example"))
                .await
                .unwrap(),
        ));
        let anon = Caller::cli(Principal::Anonymous);
        for round in 0..ROUNDS {
            let org = store
                .apply_distributor(&anon, application(round), at(1))
                .await
                .unwrap()
                .id;
            let (first, second) = tokio::join!(
                store.vouch_distributor(&founder, org, None, at(2)),
                store.vouch_distributor(&founder, org, None, at(2)),
            );
            let outcomes: Vec<String> = [first, second]
                .into_iter()
                .map(|r| match r {
                    Ok(org) => format!("{:?}", org.state),
                    Err(StoreError::WrongState(_)) => "wrong state".into(),
                    Err(other) => panic!("round {round}: {other:?}"),
                })
                .collect();
            assert!(
                outcomes == ["Vouched", "wrong state"] || outcomes == ["wrong state", "Vouched"],
                "round {round}: {outcomes:?}"
            );
            let read = store.distributor_org(&founder, org).await.unwrap();
            assert_eq!(read.state, OrgState::Vouched);
            let kinds: Vec<&str> = read.timeline.iter().map(|e| e.kind.as_str()).collect();
            assert_eq!(kinds, ["applied", "vouched"], "round {round}");
            store.check_distributor_org(org).await.unwrap();
        }
    }
);

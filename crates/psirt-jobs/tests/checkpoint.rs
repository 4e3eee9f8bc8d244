//! The audit log's daily witness: the job writes one signed checkpoint per
//! PST member and UTC day, whatever the clock says and however often it
//! runs, and the statement in the mail verifies with the instance key and
//! states the head.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{MailKind, Policy};
use psirt_jobs::checkpoint::daily;
use psirt_mail::InstanceKey;
use psirt_store::{Checkpoint, Store};

const T0: &str = "2026-11-02T09:00:00Z";

fn at(hours: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_hours(hours)
}

#[tokio::test]
async fn the_daily_checkpoint_is_written_once_a_day_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/psirt.db", dir.path().display()))
        .await
        .unwrap();
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
        .await
        .unwrap();
    let (alice, _) = store
        .add_user(&"alice@example.org".parse().unwrap(), "Alice", false, at(0))
        .await
        .unwrap();
    store
        .add_pst_member("coredns", alice.id, at(0))
        .await
        .unwrap();
    let key = InstanceKey::generate("psirt (instance key)").unwrap();

    let head = store.audit_head().await.unwrap();
    assert_eq!(daily(&store, &key, at(1)).await.unwrap(), 1);
    for hour in [2, 8, 14] {
        assert_eq!(
            daily(&store, &key, at(hour)).await.unwrap(),
            0,
            "at {}",
            at(hour)
        );
    }
    let first = store.claim_mail("w", 10, at(14), at(15)).await.unwrap();
    assert_eq!(first.len(), 1);
    let mail = &first[0];
    assert_eq!(mail.kind, MailKind::AuditCheckpoint);
    assert_eq!(mail.case, None);
    assert_eq!(mail.recipient.as_str(), "alice@example.org");
    assert_eq!(mail.subject.expose(), "psirt audit checkpoint 2026-11-02");
    let statement = psirt_mail::verify_cleartext(mail.body.expose(), &key.public_key()).unwrap();
    let checkpoint = Checkpoint::parse(&statement).unwrap();
    assert_eq!(checkpoint.head, head);
    assert_eq!(checkpoint.instance, key.fingerprint().as_str());
    assert_eq!(checkpoint.at, at(1));
    assert!(
        mail.body
            .expose()
            .contains("psirt audit verify --checkpoint FILE")
    );
    assert!(store.mail_sent(mail, "w", false, at(14)).await.unwrap());

    // The next UTC day (T0 is 09:00Z), the next one.
    assert_eq!(daily(&store, &key, at(15)).await.unwrap(), 1);
    assert_eq!(daily(&store, &key, at(16)).await.unwrap(), 0);
    let second = store.claim_mail("w", 10, at(16), at(17)).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(
        second[0].subject.expose(),
        "psirt audit checkpoint 2026-11-03"
    );
}

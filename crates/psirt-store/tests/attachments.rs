//! Files attached to reports, on both backends: stored with the report in
//! one transaction and read back byte for byte, the limits refused with
//! nothing stored, and reads decided by `authorize` and audited.

use jiff::Timestamp;
use psirt_core::{NewReport, Policy};
use psirt_store::{
    Caller, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, NewAttachment, Principal, Store, StoreError,
};

#[macro_use]
mod common;

const T0: &str = "2026-11-02T09:00:00Z";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn report() -> NewReport {
    NewReport {
        reporter: None,
        ..common::report("coredns", "Cache poisoning via EDNS")
    }
}

fn file(name: &str, content_type: &str, data: Vec<u8>) -> NewAttachment {
    NewAttachment {
        name: name.into(),
        content_type: content_type.into(),
        data,
    }
}

/// Every byte value, so an encoding that mangles any of them shows.
fn all_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

async fn setup(store: &Store) -> (Caller, Caller) {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), t(T0))
        .await
        .unwrap();
    let (alice, _) = store
        .add_user(&"alice@example.org".parse().unwrap(), "Alice", false, t(T0))
        .await
        .unwrap();
    store
        .add_pst_member("coredns", alice.id, t(T0))
        .await
        .unwrap();
    let (dev, _) = store
        .add_user(&"dev@example.org".parse().unwrap(), "Dev", false, t(T0))
        .await
        .unwrap();
    (
        Caller::new(Principal::User(alice), "10.0.0.1"),
        Caller::new(Principal::User(dev), "10.0.0.2"),
    )
}

both!(
    attachments_are_stored_with_the_report_and_read_back_byte_exact,
    |store: Store| async move {
        let (alice, _) = setup(&store).await;
        let capture = all_bytes(300_000);
        let shot = vec![0x89, b'P', b'N', b'G', 0, 0, 0xff, 0xfe];
        let intake = store
            .report_with_attachments(
                report(),
                vec![
                    file(
                        "/home/rita/../captures/poison.pcap",
                        "application/vnd.tcpdump.pcap",
                        capture.clone(),
                    ),
                    file("shot\u{0}.png", "image/png; foo=bar", shot.clone()),
                ],
                "test",
                t(T0),
            )
            .await
            .unwrap();
        let reference = intake.record.case.reference;
        let record = store.case(&alice, reference).await.unwrap();
        let list = store.attachments(&record).await.unwrap();
        let summary: Vec<(&str, &str, u64)> = list
            .iter()
            .map(|a| (a.name.as_str(), a.content_type.as_str(), a.size))
            .collect();
        assert_eq!(
            summary,
            [
                ("poison.pcap", "application/vnd.tcpdump.pcap", 300_000),
                ("shot.png", "image/png", 8),
            ]
        );
        use sha2::Digest;
        assert_eq!(list[1].sha256, hex::encode(sha2::Sha256::digest(&shot)));
        assert_eq!(list[0].sha256.len(), 64);
        for (info, bytes) in list.iter().zip([&capture, &shot]) {
            let got = store.attachment(&alice, reference, info.id).await.unwrap();
            assert_eq!(&got.data, bytes, "{}", info.name);
            assert_eq!(got.info, *info);
        }
        // An id of another case, or none at all, is not found.
        let err = store.attachment(&alice, reference, 999).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        // The audit log names the read by id; never the file's name.
        let (log, _) = store.audit_all_for_tests().await;
        let actions: Vec<&str> = log.iter().map(|(_, a, _)| a.as_str()).collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "case.attachment.view")
                .count(),
            3
        );
        let report_detail = store.audit_show(reference).await.unwrap()[0].detail.clone();
        assert!(report_detail.ends_with("attachments: 2"), "{report_detail}");
        for record in store.audit_show(reference).await.unwrap() {
            assert!(!record.detail.contains("pcap"), "{record:?}");
            assert!(!record.detail.contains("shot"), "{record:?}");
        }
        // A debug print of a file never shows its name or bytes.
        let debug = format!("{:?}", file("secret-name.png", "image/png", shot));
        assert!(!debug.contains("secret-name"), "{debug}");
    }
);

both!(
    attachments_beyond_the_limits_store_nothing,
    |store: Store| async move {
        let (alice, _) = setup(&store).await;
        let too_many: Vec<NewAttachment> = (0..=MAX_ATTACHMENTS)
            .map(|i| file(&format!("f{i}.txt"), "text/plain", vec![b'x'; 10]))
            .collect();
        let too_large = vec![
            file("small.txt", "text/plain", vec![b'x'; 10]),
            file("big.pcap", "", vec![0; MAX_ATTACHMENT_BYTES + 1]),
        ];
        let empty = vec![file("empty.txt", "text/plain", Vec::new())];
        for (files, reason) in [
            (too_many, "at most 5 files per report; 6 were sent"),
            (too_large, "\"big.pcap\" is larger than 10 MiB"),
            (empty, "\"empty.txt\" is empty"),
        ] {
            let err = store
                .report_with_attachments(report(), files, "test", t(T0))
                .await
                .unwrap_err();
            match err {
                StoreError::Invalid { field, reason: r } => {
                    assert_eq!((field, r.as_str()), ("attachments", reason));
                }
                other => panic!("{other}"),
            }
        }
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM cases").await, 0);
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM attachments").await, 0);
        // Exactly at the limits is fine.
        let at_limit: Vec<NewAttachment> = (0..MAX_ATTACHMENTS)
            .map(|i| file(&format!("f{i}"), "", vec![1; MAX_ATTACHMENT_BYTES]))
            .collect();
        let intake = store
            .report_with_attachments(report(), at_limit, "test", t(T0))
            .await
            .unwrap();
        let record = store
            .case(&alice, intake.record.case.reference)
            .await
            .unwrap();
        let list = store.attachments(&record).await.unwrap();
        assert_eq!(list.len(), MAX_ATTACHMENTS);
        assert!(list.iter().all(|a| a.size == MAX_ATTACHMENT_BYTES as u64
            && a.content_type == "application/octet-stream"));
    }
);

both!(
    an_outsider_cannot_read_an_attachment_and_the_attempt_is_audited,
    |store: Store| async move {
        let (_, dev) = setup(&store).await;
        let intake = store
            .report_with_attachments(
                report(),
                vec![file("poc.txt", "text/plain", b"dig +ednsopt".to_vec())],
                "test",
                t(T0),
            )
            .await
            .unwrap();
        let reference = intake.record.case.reference;
        let id: i64 = store.raw_count("SELECT MAX(id) FROM attachments").await;
        let err = store.attachment(&dev, reference, id).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "only the Product Security Team, the Fix Lead or the Fix Team may view the case"
        );
        let reporter = Caller::new(Principal::Reporter(reference), "10.0.0.3");
        assert!(store.attachment(&reporter, reference, id).await.is_err());
        let entries = store.audit_show(reference).await.unwrap();
        let denied: Vec<(&str, &str, &str)> = entries
            .iter()
            .filter(|e| e.action == "case.attachment.view.denied")
            .map(|e| (e.actor.as_str(), e.origin.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(denied.len(), 2);
        assert!(denied[0].0.starts_with("user:") && denied[0].0.ends_with("dev@example.org"));
        assert_eq!(denied[0].1, "10.0.0.2");
        assert!(denied[0].2.starts_with(&format!("attachment {id}: ")));
        assert_eq!(denied[1].0, "reporter");
    }
);

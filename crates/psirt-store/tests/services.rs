//! A project's connections to other services, on both databases: the
//! secret is sealed at rest (the row never holds it in clear), opens only
//! with the KEK that sealed it and only for its own project and service,
//! replacing and removing are audited without the secret, and a wrong KEK
//! is refused when the vault is opened.

use jiff::Timestamp;
use psirt_core::Policy;
use psirt_store::{Service, ServiceSecret, ServiceSettings, Store, StoreError};

#[macro_use]
mod common;

fn now() -> Timestamp {
    "2026-12-03T09:00:00Z".parse().unwrap()
}

const KEK: &[u8] = b"0f1e2d3c4b5a69788796a5b4c3d2e1f0";

async fn projects(store: &Store) {
    for slug in ["coredns", "etcd"] {
        store
            .add_project(slug, slug, &Policy::default(), now())
            .await
            .unwrap();
    }
}

both!(
    a_secret_is_sealed_and_opens_only_where_it_was_put,
    |store: Store| async move {
        projects(&store).await;
        let vault = store.open_vault(KEK, now()).await.unwrap();
        let github =
            ServiceSettings::github(Some("http://127.0.0.1:1/"), "coredns/coredns").unwrap();
        let token = ServiceSecret::new("ghp_supersecret123\n").unwrap();
        store
            .put_service("coredns", &github, &token, &vault, now())
            .await
            .unwrap();

        let config = store
            .service("coredns", Service::GitHub, &vault)
            .await
            .unwrap()
            .expect("connected");
        assert_eq!(config.settings, github);
        assert_eq!(config.secret.reveal(), "ghp_supersecret123");
        assert!(!format!("{config:?}").contains("supersecret"));
        assert!(
            store
                .service("etcd", Service::GitHub, &vault)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .service("coredns", Service::CveServices, &vault)
                .await
                .unwrap()
                .is_none()
        );

        // Nothing in the database holds the token in clear, the audit log
        // included.
        let rows = store.service_rows_for_tests().await;
        assert_eq!(rows.len(), 1);
        let clear_hex: String = b"supersecret".iter().map(|b| format!("{b:02x}")).collect();
        for (_, _, settings, sealed) in &rows {
            for held in [settings, sealed] {
                assert!(
                    !held.contains("supersecret") && !held.contains(&clear_hex),
                    "a secret in clear at rest"
                );
            }
        }
        let (audit, _) = store.audit_all_for_tests().await;
        assert!(
            audit
                .iter()
                .any(|(_, action, _)| action == "project.service.set")
        );

        // A sealed row moved to another project does not open there.
        store
        .raw_execute(
            "INSERT INTO project_services (project, service, settings, sealed, updated_at) \
             SELECT 'etcd', service, settings, sealed, updated_at FROM project_services WHERE project = 'coredns'",
        )
        .await;
        let moved = store.service("etcd", Service::GitHub, &vault).await;
        assert!(matches!(moved, Err(StoreError::Corrupt(_))), "{moved:?}");

        // The same database opened with another KEK is refused at once.
        let wrong = store
            .open_vault(b"another key-encryption key!!", now())
            .await;
        assert_eq!(
            wrong.map(|_| ()).unwrap_err().to_string(),
            "key-encryption key: it is not the key that sealed this database's service credentials; restore the key file (or passphrase) from your backup"
        );
        // And the right one again opens what it sealed.
        let again = store.open_vault(KEK, now()).await.unwrap();
        assert!(
            store
                .service("coredns", Service::GitHub, &again)
                .await
                .unwrap()
                .is_some()
        );
    }
);

both!(replacing_listing_and_removing, |store: Store| async move {
    projects(&store).await;
    let vault = store.open_vault(KEK, now()).await.unwrap();
    let cve = ServiceSettings::cve_services(None, "coredns", "fixlead@coredns.io").unwrap();
    let key = |k: &str| ServiceSecret::new(k).unwrap();
    store
        .put_service("coredns", &cve, &key("key-1"), &vault, now())
        .await
        .unwrap();
    let moved = ServiceSettings::cve_services(
        Some("https://cve.example/api"),
        "coredns",
        "psirt@coredns.io",
    )
    .unwrap();
    store
        .put_service("coredns", &moved, &key("key-2"), &vault, now())
        .await
        .unwrap();
    let git = ServiceSettings::fix_repositories("psirt-bot").unwrap();
    store
        .put_service("coredns", &git, &key("glpat-x"), &vault, now())
        .await
        .unwrap();

    let listed: Vec<_> = store
        .services("coredns")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.settings)
        .collect();
    assert_eq!(listed, vec![moved.clone(), git.clone()]);
    let config = store
        .service("coredns", Service::CveServices, &vault)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(config.secret.reveal(), "key-2");
    assert_eq!(
        store.projects_with(Service::CveServices).await.unwrap(),
        vec!["coredns".to_string()]
    );

    store
        .remove_service("coredns", Service::CveServices)
        .await
        .unwrap();
    assert!(
        store
            .service("coredns", Service::CveServices, &vault)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .remove_service("coredns", Service::CveServices)
            .await
            .unwrap_err()
            .to_string(),
        "service cve of project \"coredns\" not found"
    );
    assert_eq!(
        store
            .put_service("nope", &git, &key("x"), &vault, now())
            .await
            .unwrap_err()
            .to_string(),
        "project \"nope\" not found"
    );
    let (audit, _) = store.audit_all_for_tests().await;
    let actions: Vec<_> = audit
        .iter()
        .map(|(_, a, _)| a.as_str())
        .filter(|a| a.starts_with("project.service"))
        .collect();
    assert_eq!(
        actions,
        [
            "project.service.set",
            "project.service.set",
            "project.service.set",
            "project.service.remove"
        ]
    );
});

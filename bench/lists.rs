//! How long a list takes at a small and at a large instance, measured in
//! the same run: the case list's first page (`Store::case_page`, what
//! `GET /api/v1/cases` serves), the dashboard's first page
//! (`Store::agenda_page`, what `/cases` renders) and the public advisories'
//! first page (`Store::public_page`, what `/advisories` renders), each at
//! 1,000 cases and at `LARGE` cases, spread over 20 projects, on SQLite and
//! on PostgreSQL.
//!
//! `cargo bench -p psirt-store --bench lists [-- LARGE]` (default 100,000);
//! `BENCH_DATABASES` picks the databases (default `sqlite postgres`),
//! `BENCH_POSTGRES` the PostgreSQL server (default
//! `postgres://postgres@127.0.0.1:5432`; a fresh database per size, dropped
//! after unless `BENCH_KEEP` is set, so that its plans can be read with
//! `EXPLAIN ANALYZE`). The SQLite databases live under /dev/shm when it exists, and the
//! PostgreSQL ones commit without waiting for the disk, so that filling
//! them measures psirt rather than the disk; the reads are the same either
//! way. It prints each measure's median over 50 reads and the large/small
//! ratio. Not a test: nothing here passes or fails.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use psirt_core::{CaseRef, Command, CommitId, NewReport, Policy, Reporter, Secret};
use psirt_store::{Caller, ListQuery, PageSize, Principal, Store, User};

const PROJECTS: usize = 20;
/// One case in this many is walked to its release (and so is public): at
/// 1,000 cases that is 50, so the first public page is full at both sizes.
const RELEASED_EVERY: usize = 20;
const READS: usize = 50;
/// Writers filling a database at once.
const FILLERS: usize = 8;

fn t0() -> Timestamp {
    "2026-01-05T09:00:00Z".parse().unwrap()
}

/// A store with `cases` cases over [`PROJECTS`] projects, one PST member
/// on every project (who sees every case), and one case in
/// [`RELEASED_EVERY`] released.
async fn fill(url: &str, cases: usize) -> (Store, User, Timestamp) {
    let store = Store::open(url).await.unwrap();
    let (lead, _) = store
        .add_user(&"lead@example.org".parse().unwrap(), "Lead", false, t0())
        .await
        .unwrap();
    for p in 0..PROJECTS {
        let slug = format!("project-{p:02}");
        store
            .add_project(&slug, &slug, &Policy::default(), t0())
            .await
            .unwrap();
        store.add_pst_member(&slug, lead.id, t0()).await.unwrap();
    }
    let caller = Caller::cli(Principal::User(lead.clone()));
    // FILLERS writers at once, as many clients would: the reports of a
    // moment share a transaction (group commit), which makes filling
    // 100,000 cases take minutes rather than an hour.
    let mut fillers = Vec::new();
    for k in 0..FILLERS {
        let (store, caller) = (store.clone(), caller.clone());
        fillers.push(tokio::spawn(async move {
            for i in (k..cases).step_by(FILLERS) {
                let now = t0() + SignedDuration::from_secs(30 * (i as i64 + 1));
                let report = NewReport {
                    project: format!("project-{:02}", i % PROJECTS),
                    summary: format!("vulnerability number {i}"),
                    details: Secret::new("Send a crafted packet.".into()),
                    reporter: Some(Reporter {
                        name: Some("Rita".into()),
                        email: Some("rita@example.net".parse().unwrap()),
                    }),
                    public_link: None,
                    already_public: false,
                    ai_assisted: false,
                };
                let reference = store
                    .report(report, "bench", now)
                    .await
                    .unwrap()
                    .record
                    .case
                    .reference;
                if i % RELEASED_EVERY == 0 {
                    release(&store, &caller, reference, now).await;
                }
            }
        }));
    }
    for filler in fillers {
        filler.await.unwrap();
    }
    let now = t0() + SignedDuration::from_secs(30 * cases as i64);
    (store, lead, now + SignedDuration::from_hours(1))
}

async fn release(store: &Store, caller: &Caller, reference: CaseRef, now: Timestamp) {
    let commit: CommitId = "abc1234".parse().unwrap();
    let vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let steps = vec![
        Command::AssignFixLead {
            lead: None,
            override_reason: None,
        },
        Command::FinalizeCvss {
            vector: vector.parse().unwrap(),
        },
        Command::AddFixCommit {
            commit: commit.clone(),
            author: "dev".into(),
            author_user: None,
            url: None,
        },
        Command::ApproveCommit {
            commit: commit.clone(),
        },
        Command::MarkFixReady,
        Command::WaiveCve {
            reason: "a bench".into(),
        },
        Command::DraftAnnouncement {
            text: "A release fixes it.".into(),
        },
        Command::Release {
            version: "v1.2.1".into(),
            base_release: "v1.2.0".into(),
            cherry_picks: vec![commit],
            public_at: None,
        },
    ];
    for command in steps {
        store
            .execute(caller, reference, command, None, now)
            .await
            .unwrap_or_else(|e| panic!("{reference}: {e}"));
    }
}

/// The median of [`READS`] runs of `f`.
async fn median<F, Fut>(mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::with_capacity(READS);
    let mut shown = 0;
    for _ in 0..READS {
        let start = Instant::now();
        shown = f().await;
        times.push(start.elapsed());
    }
    assert!(shown > 0, "the page shows something");
    times.sort();
    times[READS / 2]
}

struct Figures {
    list: Duration,
    dashboard: Duration,
    advisories: Duration,
}

async fn measure(store: &Store, lead: &User, now: Timestamp) -> Figures {
    let caller = Caller::new(Principal::User(lead.clone()), "bench");
    let query = ListQuery::default();
    let list =
        median(|| async { store.case_page(&caller, &query).await.unwrap().items.len() }).await;
    let dashboard = median(|| async {
        let (agenda, _) = store.agenda_page(&caller, &query, now).await.unwrap();
        agenda.cases.len()
    })
    .await;
    let advisories = median(|| async {
        store
            .public_page(now, PageSize::default(), None, None)
            .await
            .unwrap()
            .items
            .len()
    })
    .await;
    Figures {
        list,
        dashboard,
        advisories,
    }
}

/// Where one database of `cases` cases lives: a SQLite file in `dir`, or
/// a fresh PostgreSQL database (made here, dropped by [`drop_postgres`])
/// whose commits do not wait for the disk (`synchronous_commit = off`),
/// like the SQLite files in /dev/shm: filling measures psirt, not the disk.
async fn database(backend: &str, dir: &std::path::Path, cases: usize) -> String {
    match backend {
        "sqlite" => format!("sqlite://{}/lists-{cases}.db", dir.display()),
        "postgres" => {
            let name = format!("psirt_bench_lists_{}_{cases}", std::process::id());
            let mut admin = postgres_admin().await;
            for sql in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
                format!("ALTER DATABASE {name} SET synchronous_commit = off"),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            format!("{}/{name}", postgres_server())
        }
        other => panic!("BENCH_DATABASES: {other:?} is neither sqlite nor postgres"),
    }
}

/// `BENCH_POSTGRES`: the server, without a database name.
fn postgres_server() -> String {
    std::env::var("BENCH_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

async fn postgres_admin() -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .unwrap()
}

async fn drop_postgres(url: &str) {
    if let Some((_, name)) = url.rsplit_once('/')
        && url.starts_with("postgres")
    {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut postgres_admin().await)
        .await
        .unwrap();
    }
}

fn main() {
    let large: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let backends = std::env::var("BENCH_DATABASES").unwrap_or_else(|_| "sqlite postgres".into());
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        println!("database\tmeasure\t1000 cases\t{large} cases\tratio");
        for backend in backends.split_whitespace() {
            let mut figures = Vec::new();
            for cases in [1_000, large] {
                let url = database(backend, dir.path(), cases).await;
                let start = Instant::now();
                let (store, lead, now) = fill(&url, cases).await;
                eprintln!("{backend}: filled {cases} cases in {:.1?}", start.elapsed());
                figures.push(measure(&store, &lead, now).await);
                store.close().await;
                if std::env::var_os("BENCH_KEEP").is_some() {
                    eprintln!("{backend}: kept {url}");
                } else {
                    drop_postgres(&url).await;
                }
            }
            let (small, large) = (&figures[0], &figures[1]);
            for (name, a, b) in [
                ("case list page", small.list, large.list),
                ("dashboard page", small.dashboard, large.dashboard),
                ("/advisories page", small.advisories, large.advisories),
            ] {
                println!(
                    "{backend}\t{name}\t{a:.2?}\t{b:.2?}\t{:.2}",
                    b.as_secs_f64() / a.as_secs_f64()
                );
            }
        }
    });
}

//! `psirt project add --policy`: a preset by name (`kubernetes`), printed
//! back as the TOML the README documents; a policy file whose calendar
//! names an iCalendar file of holidays, read into dates; a bad calendar
//! refused with its line, and nothing created; `psirt project publish`.

use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn psirt(dir: &tempfile::TempDir, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .current_dir(dir.path())
        .env_clear()
        .env(
            "PSIRT_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("psirt.db").display()),
        )
        .env("PSIRT_NOW", "2026-11-02T09:00:00Z")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn the_kubernetes_preset_and_a_calendar_file() {
    let dir = tempfile::tempdir().unwrap();
    let add = |slug: &str, policy: &str| {
        psirt(
            &dir,
            &[
                "project", "add", "--slug", slug, "--name", slug, "--policy", policy,
            ],
        )
    };
    let run = add("k8s", "kubernetes");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let shown = psirt(&dir, &["project", "show-policy", "--slug", "k8s"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    for line in [
        "min_embargo = \"7d\"",
        "distributor_final_notice_before = \"1d\"",
        "retrospective_within = \"3d\"",
        "triage_rotation = true",
        "fix_team_access_ends = \"release\"",
        "business_days = [\"acknowledged\", \"first_response\"]",
        "time = \"16:00\"",
        "weekdays = [\"monday\", \"tuesday\", \"wednesday\", \"thursday\"]",
        "critical = \"2d\"",
        "medium = \"30d\"",
    ] {
        assert!(shown.stdout.contains(line), "{line} in:\n{}", shown.stdout);
    }
    // What show-policy prints reads back as the same policy.
    std::fs::write(dir.path().join("k8s.toml"), &shown.stdout).unwrap();
    let run = add("k8s-copy", "k8s.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let copy = psirt(&dir, &["project", "show-policy", "--slug", "k8s-copy"]);
    assert_eq!(copy.stdout, shown.stdout);

    std::fs::write(
        dir.path().join("holidays.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Winter break\r\n\
         DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("cal.toml"),
        "business_days = [\"acknowledged\"]\n\n[calendar]\nholidays = [\"2027-01-01\"]\nics_file = \"holidays.ics\"\n",
    )
    .unwrap();
    let run = add("cal", "cal.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let shown = psirt(&dir, &["project", "show-policy", "--slug", "cal"]);
    assert!(
        shown.stdout.contains(
            "holidays = [\"2026-12-24\", \"2026-12-25\", \"2026-12-26\", \"2027-01-01\"]"
        ),
        "{}",
        shown.stdout
    );

    std::fs::write(
        dir.path().join("holidays.ics"),
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let run = add("bad", "cal.toml");
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("holidays.ics: iCalendar line 4: recurring events are not read"),
        "{}",
        run.stderr
    );
    let run = add("none", "kubernetes-ish");
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("one of the presets seed, kubernetes"),
        "{}",
        run.stderr
    );
    let listed = psirt(&dir, &["project", "show-policy", "--slug", "bad"]);
    assert_ne!(listed.code, 0, "nothing was created: {}", listed.stdout);
}

/// `psirt project publish`: a project publishes its policy (and has its
/// pages under `/p/{slug}/`) until `--withdraw`; an unknown project is an
/// error that changes nothing.
#[test]
fn a_project_publishes_its_policy_until_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let run = psirt(
        &dir,
        &["project", "add", "--slug", "beta", "--name", "Beta"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = psirt(
        &dir,
        &["project", "publish", "--slug", "beta", "--withdraw"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "beta is private: its pages answer 404\n");
    let run = psirt(&dir, &["project", "publish", "--slug", "beta"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "beta publishes its policy, at /p/beta/\n");
    let run = psirt(&dir, &["project", "publish", "--slug", "nosuch"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("nosuch"), "{}", run.stderr);
}

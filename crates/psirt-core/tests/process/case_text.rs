//! A case's free text (a reason, steps, notes, a message to the reporter)
//! is a `Text`: newlines and tabs are welcome, any other control character
//! is refused naming the field, and the refusal changes nothing (the
//! harness checks). Verbatim material (a report's body, the reporter's
//! reply, which may come by mail, a patch) is kept as it came.

use expect_test::expect;
use psirt_core::{Actor, Command, Secret};

use crate::harness::*;

#[test]
fn case_texts_allow_newlines_and_tabs_and_refuse_other_control_characters() {
    let mut w = World::private();
    let message = |text: &str| Command::MessageReporter { text: text.into() };
    w.check(
        w.person(ALICE),
        message("Thanks.\n\n\tdig @127.0.0.1 evil.example\r\nWe reproduced it."),
        expect![["ok"]],
    );
    w.check(
        w.person(ALICE),
        message("red \u{1b}[31m text"),
        expect![["invalid text: must not contain the control character U+001B"]],
    );
    w.check(
        w.person(ALICE),
        message("a bell \u{7}"),
        expect![["invalid text: must not contain the control character U+0007"]],
    );
    w.check(
        w.person(ALICE),
        message("a lone \r return"),
        expect![["invalid text: must not contain the control character U+000D"]],
    );
    w.check(
        w.person(ALICE),
        message("x".repeat(100_001).as_str()),
        expect![["invalid text: must be at most 100000 characters"]],
    );
    // The reporter's reply is theirs, as sent.
    w.check(
        Actor::Reporter,
        Command::ReporterReply {
            text: "output:\u{1b}[0m done".into(),
        },
        expect![["ok"]],
    );
}

#[test]
fn a_reports_body_is_kept_verbatim() {
    let mut report = private_report();
    report.details = Secret::new("terminal output \u{1b}[31m\u{c}".into());
    let changes = psirt_core::open_case(
        report,
        "PSIRT-2026-0001".parse().unwrap(),
        psirt_core::Policy::default(),
    )
    .unwrap();
    assert_eq!(changes[0].name(), "reported");
}

use super::*;

const GOOD: &str = r#"
name = "fraud"
description = "a lie loses"
actors = ["alice", "bob", "sequencer", "watcher"]

[[step]]
do = "deposit"
user = "alice"
units = 500

[[step]]
do = "commit-lie"
lie = "from-step"
step = 0
defense = "claims"

[[step]]
do = "expect"
winner = "challenger"
l2-eth = { alice = 2500, bob = "1999.9" }
"#;

#[test]
fn a_scenario_reads_as_actions_and_expectations() {
    let parsed = parse(GOOD).unwrap();
    assert_eq!(parsed.lines, vec![6, 11, 17]);
    let plan: Vec<_> = parsed.plan().collect();
    assert_eq!(
        plan[..2],
        [
            (
                6,
                Planned::Act(
                    Action::Deposit {
                        user: 0,
                        token: Token::Eth,
                        units: 500,
                        target: Target::Own
                    },
                    1
                )
            ),
            (
                11,
                Planned::Act(
                    Action::CommitLie {
                        lie: Lie::From(0),
                        defense: Defense::Claims
                    },
                    1
                )
            ),
        ]
    );
    let Step::Expect(expect) = &parsed.scenario.steps[2] else {
        panic!("not an expectation");
    };
    assert_eq!(expect.winner, Some(Winner::Challenger));
    let l2 = expect.l2_eth.as_ref().unwrap();
    assert_eq!(l2.alice, Some(Amount { wei: 2500 * UNIT }));
    assert_eq!(
        l2.bob,
        Some(Amount {
            wei: 1999 * UNIT + 9 * UNIT / 10
        })
    );
}

fn error(text: &str) -> FileError {
    parse(text).unwrap_err()
}

#[test]
fn a_malformed_file_names_the_line_and_field() {
    let head = "name = \"x\"\nactors = [\"alice\"]\n\n[[step]]\n";
    for (body, line, field, reason) in [
        (
            "do = \"deposit\"\nuser = \"alice\"\nunits = 70000\n",
            7,
            Some("units"),
            "expected u16",
        ),
        (
            "do = \"deposit\"\nuser = \"dave\"\nunits = 1\n",
            6,
            Some("user"),
            "unknown variant `dave`",
        ),
        (
            "do = \"deposit\"\nuser = \"alice\"\n",
            4,
            Some("units"),
            "missing field `units`",
        ),
        (
            "do = \"depositt\"\n",
            5,
            Some("do"),
            "unknown variant `depositt`",
        ),
        (
            "do = \"commit\"\nnow = true\n",
            6,
            Some("now"),
            "unknown field `now`",
        ),
        (
            "do = \"commit-lie\"\nlie = \"from-step\"\ndefense = \"claims\"\n",
            4,
            Some("step"),
            "needs the step",
        ),
        (
            "do = \"challenge\"\npending = 0\nplay = \"honest\"\nstep = 3\n",
            8,
            Some("step"),
            "only play toward",
        ),
        (
            "do = \"transfer\"\nfrom = \"alice\"\nto = \"bob\"\nunits = 1\n",
            4,
            None,
            "names bob, who is not in `actors`",
        ),
        (
            "do = \"expect\"\nl2-eth = { alice = \"1.2.3\" }\n",
            6,
            Some("l2-eth"),
            "not a number of units",
        ),
        (
            "do = \"expect\"\nwinner = \"nobody\"\n",
            6,
            Some("winner"),
            "unknown variant `nobody`",
        ),
        (
            "do = \"wait\"\npast = \"forever\"\n",
            6,
            Some("past"),
            "forever",
        ),
        (
            "do = \"chalenge\"\npending = 0\nplay = \"honest\"\n",
            5,
            Some("do"),
            "unknown variant `chalenge`",
        ),
        (
            "do = \"deposit\"\nuser = \"alice\"\nunits = \"5\"\n",
            7,
            Some("units"),
            "invalid type: string \"5\"",
        ),
        (
            "do = \"withdraw\"\nuser = \"alice\"\nunits = 1\nrepeat = 0\n",
            8,
            Some("repeat"),
            "repeat must be 1 to 64, not 0",
        ),
    ] {
        let err = error(&format!("{head}{body}"));
        assert_eq!(
            (err.line, err.field.as_deref()),
            (line, field),
            "{body:?}: {err}"
        );
        assert!(err.reason.contains(reason), "{body:?}: {err}");
        assert_eq!(err.to_string().lines().count(), 1, "{err}");
    }
    let err = error("name = \"x\"\nactors = [\"alice\", \"eve\"]\n[[step]]\ndo = \"commit\"\n");
    assert_eq!(
        (err.line, err.field.as_deref()),
        (2, Some("actors")),
        "{err}"
    );
    let err = error("name = \"x\"\nactors = [\"alice\"]\n[[step]]\ndo = \"commit\"\n[oops\n");
    assert_eq!(err.line, 5, "{err}");
}

#[test]
fn step_headers_may_be_spaced_or_commented() {
    let text = "name = \"x\"\nactors = []\n\n[[ step ]] # the only one\ndo = \"commit\"\n";
    assert_eq!(parse(text).unwrap().lines, vec![4]);
}

#[test]
fn amounts_read_and_print_down_to_the_wei() {
    for (text, wei) in [
        ("0", 0),
        ("12", 12 * UNIT),
        ("0.1", UNIT / 10),
        ("1.000000000000001", UNIT + 1),
    ] {
        let a = Amount::parse_units(text).unwrap();
        assert_eq!(a.wei, wei, "{text}");
        assert_eq!(a.to_string(), text);
    }
    for bad in ["", ".5", "1.", "1e3", "-1", "0.0000000000000001", "x"] {
        assert!(Amount::parse_units(bad).is_err(), "{bad:?}");
    }
}

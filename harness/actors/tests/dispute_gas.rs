//! The dispute part of `make gas` at T = 16 only (CI does not play T =
//! 1,024): one whole game on anvil, its figures written as JSON and read back.

use std::{collections::BTreeMap, fs, path::Path};

use bulwark_actors::{
    devnet::DevnetConfig,
    scenario::{
        dispute_gas,
        gas_report::{GasReport, TX_GAS_CAP},
    },
};

/// Reads back the flat object `GasReport::to_json` writes: `"name": integer` pairs.
fn parse_flat(json: &str) -> BTreeMap<String, u64> {
    let body = json
        .trim()
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .expect("one JSON object");
    body.split(',')
        .map(|pair| {
            let (name, value) = pair.split_once(':').expect("name: value");
            let name = name
                .trim()
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'));
            let value = value.trim().parse().expect("an integer");
            (name.expect("a quoted name").to_owned(), value)
        })
        .collect()
}

#[tokio::test]
async fn a_game_at_t16_writes_its_figures() {
    let runs = dispute_gas::measure(&DevnetConfig::default(), &[16])
        .await
        .unwrap_or_else(|e| panic!("measuring the game at T = 16: {e}"));
    let mut report = GasReport::default();
    report.add_disputes(&runs);

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dispute_gas");
    let _ = fs::remove_dir_all(&dir);
    let path = dir.join("gas.json");
    report.write_json(&path).expect("write gas.json");
    let figures = parse_flat(&fs::read_to_string(&path).expect("read gas.json"));
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["gas.json"], "no temporary file is left behind");

    let keys = [
        "dispute.whole.T16",
        "dispute.moves_per_side.T16",
        "dispute.move.max",
        "dispute.step.max",
        "dispute.open",
        "dispute.resolve",
    ];
    for key in keys {
        assert!(figures.contains_key(key), "{key} missing from {figures:?}");
    }
    assert_eq!(
        figures,
        report.figures().map(|(k, v)| (k.to_owned(), v)).collect()
    );

    let run = &runs[0];
    let gas = |key: &str| figures[key];
    // T = 16: one reveal of 16 hashes; one pick, then the step (§14.3).
    assert_eq!(gas("dispute.moves_per_side.T16"), 2);
    assert_eq!(run.moves_per_side(), (2, 1));
    let parts = gas("dispute.open")
        + run.reveals().iter().sum::<u64>()
        + run.picks().iter().sum::<u64>()
        + gas("dispute.step.max")
        + gas("dispute.resolve");
    assert_eq!(
        gas("dispute.whole.T16"),
        parts,
        "the whole game is its transactions"
    );
    for key in ["dispute.open", "dispute.move.max", "dispute.resolve"] {
        assert!(
            (21_000..1_000_000).contains(&gas(key)),
            "{key} = {}",
            gas(key)
        );
    }
    // Three account openings of 32 siblings, a signature, a record path: well
    // above a plain move, well below the cap.
    let step = gas("dispute.step.max");
    assert!(
        step > gas("dispute.move.max") && step < TX_GAS_CAP,
        "step = {step}"
    );
}

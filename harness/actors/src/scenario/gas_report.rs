//! The gas report `make gas` writes (`target/gas.json`): one flat JSON
//! object of name → integer, gathered from the scenarios that measure gas
//! from receipts — commits per transfer, the happy path, dispute games.

use std::{collections::BTreeMap, fmt, fs, io, io::Write, path::Path};

use super::{
    censor::EscapeGas, dispute_gas::DisputeRun, gas_per_transfer::Measurement,
    happy_path::GasFigures,
};

/// EIP-7825's cap: every transaction must use less gas than this.
pub use bulwark_chain::TX_GAS_CAP;

/// The targets the issues set, by figure name: `make gas` fails above them.
pub const TARGETS: [(&str, u64); 5] = [
    ("dispute.move.max", 100_000),
    ("dispute.step.max", 200_000),
    ("dispute.whole.T1024", 1_000_000),
    ("forced.request", 60_000),
    ("escape.exit", 100_000),
];

/// Named figures for `make gas`: gas used, from receipts, and under
/// `dispute.moves_per_side.*` move counts. Names sort; values are integers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GasReport {
    figures: BTreeMap<String, u64>,
}

impl GasReport {
    /// Sets `name` to `value`.
    pub fn insert(&mut self, name: impl Into<String>, value: u64) {
        self.figures.insert(name.into(), value);
    }

    /// Raises `name` to `value` if it is below it (or unset).
    fn raise(&mut self, name: &str, value: u64) {
        let entry = self.figures.entry(name.to_owned()).or_default();
        *entry = (*entry).max(value);
    }

    /// The figure named `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.figures.get(name).copied()
    }

    /// Every figure, names in order.
    pub fn figures(&self) -> impl Iterator<Item = (&str, u64)> {
        self.figures.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Figures at or above [`TX_GAS_CAP`]: none, when every measured
    /// transaction fits in one under EIP-7825.
    pub fn over_cap(&self) -> Vec<(&str, u64)> {
        self.figures()
            .filter(|(_, gas)| *gas >= TX_GAS_CAP)
            .collect()
    }

    /// Figures above their [`TARGETS`]: none, when every target is met.
    pub fn over_target(&self) -> Vec<(&'static str, u64, u64)> {
        TARGETS
            .iter()
            .filter_map(|&(name, target)| {
                self.get(name)
                    .filter(|&gas| gas > target)
                    .map(|gas| (name, gas, target))
            })
            .collect()
    }

    /// Adds the commits per batch size: `commit.<n>`, `transfer.l1_gas.<n>`
    /// (rounded), and `transfer.l1_gas.marginal` between the first and last.
    pub fn add_transfers(&mut self, measured: &[Measurement]) {
        for m in measured {
            self.insert(format!("commit.{}", m.transfers), m.commit_gas);
            self.insert(
                format!("transfer.l1_gas.{}", m.transfers),
                m.gas_per_transfer().round() as u64,
            );
        }
        if let [first, .., last] = measured
            && last.transfers > first.transfers
        {
            let marginal = (last.commit_gas.saturating_sub(first.commit_gas) as f64
                / (last.transfers - first.transfers) as f64)
                .round() as u64;
            self.insert("transfer.l1_gas.marginal", marginal);
        }
    }

    /// Adds the happy path's deposits, finalization and withdrawals.
    pub fn add_happy_path(&mut self, gas: &GasFigures) {
        self.insert("deposit.eth", gas.deposit_eth);
        self.insert("deposit.erc20", gas.deposit_erc20);
        self.insert("deposit.erc20.first", gas.deposit_erc20_first);
        self.insert("batch.finalize", gas.finalize_batch);
        self.insert("withdrawal.finalize.eth", gas.withdraw_eth);
        self.insert("withdrawal.finalize.erc20", gas.withdraw_erc20);
        self.raise("forced.request", gas.forced_withdrawal);
        self.insert("guardian.pause", gas.guardian_pause);
    }

    /// Adds the escape hatch (PROTOCOL §16): the freeze, and the largest exit,
    /// refund and post-freeze withdrawal; `forced.request` is the larger of
    /// the two forced withdrawals measured.
    pub fn add_escape(&mut self, gas: &EscapeGas) {
        self.raise("forced.request", gas.forced_withdrawal);
        self.insert("escape.freeze", gas.freeze);
        for &(_, g) in &gas.exits {
            self.raise("escape.exit", g);
        }
        for &(_, g) in &gas.refunds {
            self.raise("escape.refund", g);
        }
        for &(_, g) in &gas.withdrawals {
            self.raise("escape.withdrawal", g);
        }
    }

    /// Adds the games: per `T` the whole game, moves per side (the larger),
    /// the step and the disputed commit; over all games the largest open,
    /// reveal, pick, move (reveal or pick), step and resolve.
    pub fn add_disputes(&mut self, runs: &[DisputeRun]) {
        for run in runs {
            let t = run.trace;
            let (challenger, defender) = run.moves_per_side();
            self.insert(format!("dispute.whole.T{t}"), run.whole());
            self.insert(
                format!("dispute.moves_per_side.T{t}"),
                challenger.max(defender) as u64,
            );
            self.insert(format!("dispute.step.T{t}"), run.step());
            self.insert(format!("dispute.commit.T{t}"), run.commit_gas);
            self.raise("dispute.open", run.open());
            self.raise(
                "dispute.reveal.max",
                run.reveals().into_iter().max().unwrap_or(0),
            );
            self.raise(
                "dispute.pick.max",
                run.picks().into_iter().max().unwrap_or(0),
            );
            self.raise("dispute.move.max", run.largest_move());
            self.raise("dispute.step.max", run.step());
            self.raise("dispute.resolve", run.resolve());
        }
    }

    /// One JSON object, a name per line, names in order.
    pub fn to_json(&self) -> String {
        let lines: Vec<String> = self
            .figures
            .iter()
            .map(|(name, value)| format!("  \"{}\": {value}", json_escape(name)))
            .collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    /// Writes [`to_json`](Self::to_json) to `path` atomically (a temporary
    /// file beside it, then a rename), creating its directory if missing.
    pub fn write_json(&self, path: &Path) -> io::Result<()> {
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} names no file", path.display()),
            )
        })?;
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let tmp = path.with_file_name(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let written = fs::File::create(&tmp).and_then(|mut file| {
            file.write_all(self.to_json().as_bytes())?;
            file.sync_all()
        });
        written
            .and_then(|()| fs::rename(&tmp, path))
            .inspect_err(|_| {
                let _ = fs::remove_file(&tmp);
            })
    }
}

impl fmt::Display for GasReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.figures.keys().map(String::len).max().unwrap_or(0);
        for (name, value) in &self.figures {
            writeln!(f, "{name:<width$}  {:>12}", grouped(*value))?;
        }
        Ok(())
    }
}

/// `1234567` as `1,234,567`.
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_one_flat_object_in_name_order() {
        let mut report = GasReport::default();
        report.insert("b.two", 2);
        report.insert("a\"one", 1_234_567);
        assert_eq!(
            report.to_json(),
            "{\n  \"a\\\"one\": 1234567,\n  \"b.two\": 2\n}\n"
        );
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(999), "999");
    }
}

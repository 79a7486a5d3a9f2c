//! The sequencer's journal of accepted transactions: one JSON line per
//! record, appended and synced to disk before the API answers, so a
//! transaction the API accepted survives `kill -9`. After each commit the
//! journal is rewritten (atomically) with what is still pending; on restart,
//! entries L1 shows committed are dropped, the rest are pending again.

use std::{
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
};

use bulwark_chain::write_atomically;
use bulwark_engine::{B256, RecordBytes};
use serde::{Deserialize, Serialize};

/// One accepted transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The EIP-712 digest its owner signed.
    pub hash: B256,
    /// The record.
    pub record: RecordBytes,
}

#[derive(Serialize, Deserialize)]
struct Line {
    hash: B256,
    record: String,
}

/// Why the journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading, appending or rewriting failed.
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A complete line does not parse: the file was edited or is not ours.
    #[error("journal {path} line {line}: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// The journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal at `path` (created on first append).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Every entry, in acceptance order. A last line without its newline is
    /// an append that `kill -9` cut short: its request was never answered,
    /// so it is dropped, not an error.
    pub fn load(&self) -> Result<Vec<Entry>, JournalError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let mut entries = Vec::new();
        let mut reader = BufReader::new(file);
        let mut text = String::new();
        for line in 1.. {
            text.clear();
            let read = reader.read_line(&mut text).map_err(|e| self.io(e))?;
            if read == 0 || !text.ends_with('\n') {
                break;
            }
            let corrupt = |reason: String| JournalError::Corrupt {
                path: self.path.clone(),
                line,
                reason,
            };
            let parsed: Line = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
            let bytes = parsed
                .record
                .strip_prefix("0x")
                .and_then(|h| hex::decode(h).ok())
                .ok_or_else(|| corrupt("record is not 0x-prefixed hex".into()))?;
            let record: RecordBytes = bytes
                .try_into()
                .map_err(|b: Vec<u8>| corrupt(format!("record has {} bytes, not 128", b.len())))?;
            // A hash twice (a retry after an append that failed half-way) is one entry.
            if !entries.iter().any(|e: &Entry| e.hash == parsed.hash) {
                entries.push(Entry {
                    hash: parsed.hash,
                    record,
                });
            }
        }
        Ok(entries)
    }

    /// Appends `entry` and syncs it to disk before returning.
    pub fn append(&self, entry: &Entry) -> Result<(), JournalError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        let before = file.metadata().map_err(|e| self.io(e))?.len();
        let written = file
            .write_all(line(entry).as_bytes())
            .and_then(|()| file.sync_data());
        if let Err(e) = written {
            // Not acknowledged, so not kept: a refused request leaves no trace,
            // and the next append does not land after a torn line.
            let _ = file.set_len(before).and_then(|()| file.sync_data());
            return Err(self.io(e));
        }
        Ok(())
    }

    /// Replaces the journal with `entries`, whole or not at all.
    pub fn rewrite(&self, entries: &[Entry]) -> Result<(), JournalError> {
        let text: String = entries.iter().map(line).collect();
        write_atomically(&self.path, text.as_bytes()).map_err(|e| self.io(e))
    }
}

fn line(entry: &Entry) -> String {
    let line = Line {
        hash: entry.hash,
        record: format!("0x{}", hex::encode(entry.record)),
    };
    let mut text = serde_json::to_string(&line).expect("plain data serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u8) -> Entry {
        Entry {
            hash: B256::repeat_byte(i),
            record: [i; 128],
        }
    }

    fn journal(name: &str) -> Journal {
        let dir =
            std::env::temp_dir().join(format!("bulwark-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Journal::at(dir.join("pool.jsonl"))
    }

    #[test]
    fn appends_survive_and_a_torn_last_line_is_dropped() {
        let j = journal("torn");
        assert!(j.load().unwrap().is_empty());
        j.append(&entry(1)).unwrap();
        j.append(&entry(2)).unwrap();
        // kill -9 in the middle of the third append.
        let mut file = OpenOptions::new().append(true).open(j.path()).unwrap();
        file.write_all(&line(&entry(3)).as_bytes()[..40]).unwrap();
        assert_eq!(j.load().unwrap(), [entry(1), entry(2)]);
        j.rewrite(&[entry(2)]).unwrap();
        assert_eq!(j.load().unwrap(), [entry(2)]);
    }

    #[test]
    fn a_retried_append_is_one_entry() {
        let j = journal("retry");
        j.append(&entry(4)).unwrap();
        j.append(&entry(5)).unwrap();
        j.append(&entry(4)).unwrap();
        assert_eq!(j.load().unwrap(), [entry(4), entry(5)]);
    }

    #[test]
    fn a_corrupt_line_is_named() {
        let j = journal("corrupt");
        j.append(&entry(1)).unwrap();
        let mut file = OpenOptions::new().append(true).open(j.path()).unwrap();
        file.write_all(b"{\"hash\": 1}\n").unwrap();
        let err = j.load().unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}

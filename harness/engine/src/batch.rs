//! Batch data (PROTOCOL §6): a header and up to 512 records, with the
//! `recordsRoot`, `dataRoot` and record proofs the Rollup checks.

use alloy_primitives::B256;

use crate::hash::{data_node, data_root, empty_record_subtrees, fold, record_leaf};
use crate::header::{Header, HeaderError};
use crate::params::{DATA_DEPTH, MAX_RECORDS, RECORD_SIZE};

pub use crate::record::RecordBytes;

/// The 9 siblings of a record proof, leaf level first.
pub type RecordPath = [B256; DATA_DEPTH];

/// Why calldata is not a batch the Rollup accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The header is malformed.
    #[error("bad header: {0}")]
    Header(#[from] HeaderError),
    /// The records' length is not a multiple of 128.
    #[error("records are {0} bytes, not a multiple of 128")]
    RecordsLength(usize),
    /// More than `MAX_RECORDS` records.
    #[error("{0} records, more than 512")]
    TooManyRecords(usize),
}

/// A batch's data: its header and its records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Batch {
    header: Header,
    records: Vec<RecordBytes>,
}

impl Batch {
    /// A batch of `records` (at most 512) under `header`.
    pub fn new(header: Header, records: Vec<RecordBytes>) -> Result<Self, BatchError> {
        if records.len() > MAX_RECORDS {
            return Err(BatchError::TooManyRecords(records.len()));
        }
        Ok(Self { header, records })
    }

    /// Parses the `header` and `records` arguments of a commit, as the Rollup does.
    pub fn from_calldata(header: &[u8], records: &[u8]) -> Result<Self, BatchError> {
        let header = Header::decode(header)?;
        if !records.len().is_multiple_of(RECORD_SIZE) {
            return Err(BatchError::RecordsLength(records.len()));
        }
        let count = records.len() / RECORD_SIZE;
        if count > MAX_RECORDS {
            return Err(BatchError::TooManyRecords(count));
        }
        let records = records
            .chunks_exact(RECORD_SIZE)
            .map(|chunk| {
                let mut record = [0u8; RECORD_SIZE];
                record.copy_from_slice(chunk);
                record
            })
            .collect();
        Ok(Self { header, records })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The records.
    pub fn records(&self) -> &[RecordBytes] {
        &self.records
    }

    /// The header bytes of a commit.
    pub fn header_bytes(&self) -> Vec<u8> {
        self.header.encode()
    }

    /// The records bytes of a commit (their concatenation).
    pub fn records_bytes(&self) -> Vec<u8> {
        self.records.concat()
    }

    /// `recordsRoot`: the depth-9 tree over the record leaves, padded with `D[0]`.
    pub fn records_root(&self) -> B256 {
        let d = empty_record_subtrees();
        let mut level: Vec<B256> = self.records.iter().map(record_leaf).collect();
        for dk in d.iter().take(DATA_DEPTH) {
            if level.len() % 2 == 1 {
                level.push(*dk);
            }
            level = level
                .chunks_exact(2)
                .map(|pair| data_node(&pair[0], &pair[1]))
                .collect();
        }
        level.first().copied().unwrap_or(d[DATA_DEPTH])
    }

    /// `dataRoot = H(0x09 ‖ headerHash ‖ recordsRoot)`.
    pub fn data_root(&self) -> B256 {
        data_root(&self.header.hash(), &self.records_root())
    }

    /// The 9 siblings of record position `index` (`< 512`, possibly empty).
    pub fn record_proof(&self, index: usize) -> Option<RecordPath> {
        if index >= MAX_RECORDS {
            return None;
        }
        let d = empty_record_subtrees();
        let mut path = [B256::ZERO; DATA_DEPTH];
        let mut level: Vec<B256> = self.records.iter().map(record_leaf).collect();
        for (k, sibling) in path.iter_mut().enumerate() {
            *sibling = level.get((index >> k) ^ 1).copied().unwrap_or(d[k]);
            if level.len() % 2 == 1 {
                level.push(d[k]);
            }
            level = level
                .chunks_exact(2)
                .map(|pair| data_node(&pair[0], &pair[1]))
                .collect();
        }
        Some(path)
    }
}

/// Folds a record proof of `record` at `index` to the `recordsRoot` it proves.
pub fn records_root_from_proof(record: &RecordBytes, index: u32, path: &RecordPath) -> B256 {
    fold(record_leaf(record), u64::from(index), path, data_node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(b: u8) -> RecordBytes {
        [b; RECORD_SIZE]
    }

    #[test]
    fn empty_batch_root_is_d9() {
        assert_eq!(
            Batch::default().records_root(),
            empty_record_subtrees()[DATA_DEPTH]
        );
    }

    #[test]
    fn record_proofs_fold_to_records_root() {
        let batch = Batch::new(Header::default(), (1..=5).map(record).collect()).unwrap();
        let root = batch.records_root();
        for i in 0..5 {
            let path = batch.record_proof(i).unwrap();
            assert_eq!(
                records_root_from_proof(&record(i as u8 + 1), i as u32, &path),
                root
            );
        }
        let empty = batch.record_proof(511).unwrap();
        assert_eq!(
            records_root_from_proof(&[0; RECORD_SIZE], 511, &empty),
            root
        );
        assert_eq!(batch.record_proof(512), None);
    }

    #[test]
    fn calldata_is_checked_like_the_rollup() {
        assert_eq!(
            Batch::from_calldata(&[], &[0; 129]),
            Err(BatchError::RecordsLength(129))
        );
        assert_eq!(
            Batch::from_calldata(&[], &vec![0; 128 * 513]),
            Err(BatchError::TooManyRecords(513))
        );
        assert_eq!(
            Batch::from_calldata(&[0; 3], &[]),
            Err(BatchError::Header(HeaderError::Length(3)))
        );
        let batch = Batch::from_calldata(&[], &[7; 256]).unwrap();
        assert_eq!(batch.records(), &[record(7), record(7)]);
        assert_eq!(batch.records_bytes(), vec![7; 256]);
    }
}

//! Protocol parameters (PROTOCOL §0).

/// Depth of the account and withdrawal trees; positions are `u32`.
pub const TREE_DEPTH: usize = 32;

/// Number of positions in a state tree (`2^32`).
pub const TREE_CAPACITY: u64 = 1 << TREE_DEPTH;

/// Size of one record of batch data, in bytes.
pub const RECORD_SIZE: usize = 128;

/// Depth of the records tree.
pub const DATA_DEPTH: usize = 9;

/// Largest number of records one batch may carry (`2^DATA_DEPTH`).
pub const MAX_RECORDS: usize = 1 << DATA_DEPTH;

/// Largest number of L1 messages one batch may consume.
pub const MAX_MSGS: usize = 512;

/// Largest number of fee-recipient entries in a batch header.
pub const MAX_FEE_TOKENS: usize = 16;

/// Size of one header entry (`token:u32 ‖ account:u32`).
pub const HEADER_ENTRY_SIZE: usize = 8;

/// EIP-712 domain name.
pub const EIP712_NAME: &str = "Bulwark";

/// EIP-712 domain version.
pub const EIP712_VERSION: &str = "1";

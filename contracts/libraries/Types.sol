// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Types
/// @notice Bulwark's protocol parameters, domain tags, message and record kinds, skip reasons and the
///         structs shared by the Rollup, the Bridge and (later) the one-step verifier. Every value here is
///         fixed by docs/PROTOCOL.md; the section is named beside each group.

// ---------------------------------------------------------------------------------------------------------
// Parameters (§0)
// ---------------------------------------------------------------------------------------------------------

/// @dev Depth of the account and withdrawal trees; leaf indices are u32.
uint256 constant TREE_DEPTH = 32;
/// @dev Size in bytes of one record of batch data.
uint256 constant RECORD_SIZE = 128;
/// @dev Depth of the data tree over a batch's records.
uint256 constant DATA_DEPTH = 9;
/// @dev Records one batch may carry (2^DATA_DEPTH).
uint256 constant MAX_RECORDS = 512;
/// @dev L1 messages one batch may consume.
uint256 constant MAX_MSGS = 512;
/// @dev Entries in a batch header (fee recipients, one per token).
uint256 constant MAX_FEE_TOKENS = 16;
/// @dev Size in bytes of one header entry, `token:u32 ‖ account:u32`.
uint256 constant HEADER_ENTRY_SIZE = 8;
/// @dev Deposit target meaning "create a new account".
uint64 constant NEW_ACCOUNT = type(uint64).max;

// ---------------------------------------------------------------------------------------------------------
// Domain tags (§1): the first byte of every preimage the protocol hashes.
// ---------------------------------------------------------------------------------------------------------

bytes1 constant TAG_EMPTY_LEAF = 0x00;
bytes1 constant TAG_ACCOUNT = 0x01;
bytes1 constant TAG_WITHDRAWAL = 0x02;
bytes1 constant TAG_STATE_NODE = 0x03;
bytes1 constant TAG_STATE_ROOT = 0x04;
bytes1 constant TAG_MESSAGE = 0x05;
bytes1 constant TAG_RECORD = 0x06;
bytes1 constant TAG_DATA_NODE = 0x07;
bytes1 constant TAG_HEADER = 0x08;
bytes1 constant TAG_DATA_ROOT = 0x09;
bytes1 constant TAG_TRACE_NODE = 0x0a;

// ---------------------------------------------------------------------------------------------------------
// L1 message kinds (§4) and record kinds (§6)
// ---------------------------------------------------------------------------------------------------------

/// @dev L1 message: deposit of ETH or a registered ERC20.
uint8 constant MSG_DEPOSIT = 1;
/// @dev L1 message: forced withdrawal, authenticated by the L1 sender.
uint8 constant MSG_FORCED_WITHDRAWAL = 2;

/// @dev Record kind byte: padding (all 128 bytes zero).
uint8 constant RECORD_PADDING = 0x00;
/// @dev Record kind byte: transfer.
uint8 constant RECORD_TRANSFER = 0x01;
/// @dev Record kind byte: withdraw.
uint8 constant RECORD_WITHDRAW = 0x02;

/// @notice What a 128-byte record decodes to (§6). Decoding never fails: anything that is not a transfer,
///         a withdraw or padding is `Malformed`, with its reason in `Record.reason`.
enum RecordKind {
    Padding,
    Transfer,
    Withdraw,
    Malformed
}

/// @notice Why a step is skipped (§7.6). `None` means applied. Reasons are diagnostic; only "applied"
///         versus "skipped" is consensus. The numbering is Solidity's own and is not part of any hash.
enum SkipReason {
    None,
    UnknownKind,
    NonZeroPadding,
    SignatureLength,
    SignatureV,
    SignatureR,
    SignatureS,
    RecoveryFailed,
    WrongSigner,
    NoSuchAccount,
    TokenMismatch,
    BadNonce,
    NonceExhausted,
    Overdraft,
    CreditOverflow,
    ZeroAmount,
    ZeroRecipient,
    WithdrawalsFull,
    NotOwner
}

// ---------------------------------------------------------------------------------------------------------
// Structs
// ---------------------------------------------------------------------------------------------------------

/// @notice The five fields whose hash is an L2 state root (§3).
struct StatePreimage {
    bytes32 accountsRoot;
    bytes32 withdrawalsRoot;
    uint64 nextAccountIndex;
    uint64 msgsConsumed;
    uint64 withdrawalCount;
}

/// @notice An L1 message as queued (§4): the preimage of the hash the Bridge stores at `index`. Calls that
///         need a message's fields (the freeze, a refund) take them from the caller and check this hash.
struct L1Message {
    uint64 index;
    uint8 kind;
    address sender;
    uint64 target;
    uint32 token;
    uint128 amount;
    uint64 queuedAt;
}

/// @notice A leaf of the withdrawal tree (§2.2); `index` is its own position, and pay-once is keyed by it.
struct WithdrawalLeaf {
    uint32 index;
    address recipient;
    uint32 token;
    uint128 amount;
}

/// @notice A leaf of the account tree (§2.1).
struct AccountLeaf {
    address owner;
    uint32 token;
    uint128 balance;
    uint32 nonce;
}

/// @notice A decoded record (§6). Fields a kind does not have are zero; a `Malformed` or `Padding` record
///         has every field zero except `reason` (and `kindByte`, the raw byte 0).
struct Record {
    RecordKind kind;
    SkipReason reason;
    uint8 kindByte;
    uint32 from;
    uint32 to;
    uint32 token;
    address recipient;
    uint128 amount;
    uint128 fee;
    uint32 nonce;
    bytes32 r;
    bytes32 s;
    uint8 v;
}

/// @notice What the Rollup stores for each committed batch (§9), packed in five slots.
struct Batch {
    // slot 0
    address committer;
    uint64 commitTime;
    uint32 recordCount;
    // slot 1
    uint64 parent;
    uint64 msgsBefore;
    uint64 msgsAfter;
    /// @dev The Rollup's epoch at commit: a rewind bumps the epoch, so a game knows its batch was dropped.
    uint32 epoch;
    /// @dev Dispute games open against this batch; it finalizes only at zero.
    uint32 openGames;
    // slots 2..4
    bytes32 dataRoot;
    bytes32 stateRoot;
    bytes32 traceRoot;
}

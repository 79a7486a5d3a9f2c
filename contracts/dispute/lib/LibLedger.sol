// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOneStepVerifier} from "../../interfaces/IOneStepVerifier.sol";
import {LibHash} from "../../libraries/LibHash.sol";
import {TAG_STATE_ROOT, TREE_DEPTH, AccountLeaf} from "../../libraries/Types.sol";
import {
    LibWitness,
    PRE_SIZE,
    ACCOUNT_OPENING_SIZE,
    EMPTY_OPENING_SIZE,
    ACCOUNT_PREFIX_SIZE,
    OPENING_ACCOUNT,
    OPENING_EMPTY_ACCOUNT,
    OPENING_EMPTY_WITHDRAWAL
} from "./LibWitness.sol";

/// @dev Leaves a state tree holds (2^32); a counter at or past it means the tree is full.
uint256 constant TREE_CAPACITY = 1 << TREE_DEPTH;

/// @notice The state a one-step runs on: the running preimage, and a cursor over the witness in calldata.
/// @dev Counters are widened to uint256; each is a u64 read from `pre` and grows only below 2^32 (trees) or
///      up to 2^64 − 1 (`msgsConsumed`), so it always fits back.
struct Ledger {
    bytes32 accountsRoot;
    bytes32 withdrawalsRoot;
    uint256 nextAccountIndex;
    uint256 msgsConsumed;
    uint256 withdrawalCount;
    /// Calldata offset of the witness's first byte (errors report offsets relative to it).
    uint256 base;
    /// Calldata offset of the next unread byte.
    uint256 cursor;
    /// Calldata offset one past the witness's last byte.
    uint256 end;
    /// Openings taken so far: the position of the next one.
    uint256 openings;
}

/// @title LibLedger
/// @notice The STF's ledger over a witness (the engine's `witness::verify::Verifier`): account reads and
///         writes, account creation and withdrawal appends against a running root, each access consuming the
///         next opening of the witness in the order the STF makes them (PROTOCOL §8.1–§8.2).
/// @dev A write reuses the siblings of the read just before it (the STF writes an account only right after
///      reading it), so `readAccount` hands its siblings' offset to `writeAccount`. The checkpoint a skipped
///      step returns to is the pre-state, which stays in calldata: `discard` reloads it. Consumed openings
///      stay consumed, as in the engine. Reverts only with `IOneStepVerifier` errors (a bad witness).
library LibLedger {
    /// @dev The empty leaf `Z[0] = H(0x00)` (§2).
    bytes32 private constant Z0 = keccak256(hex"00");

    /// @notice Starts a ledger on `witness`: reads `pre` and checks that it hashes to `preRoot`.
    function open(bytes calldata witness, bytes32 preRoot) internal pure returns (Ledger memory l) {
        uint256 base;
        assembly ("memory-safe") {
            base := witness.offset
        }
        l.base = base;
        l.cursor = base;
        l.end = base + witness.length;
        uint256 at = take(l, PRE_SIZE);
        // `pre` is exactly the state root's preimage after its tag (§3).
        bytes32 found = LibWitness.hashTagged(TAG_STATE_ROOT, at, PRE_SIZE);
        if (found != preRoot) revert IOneStepVerifier.PreimageMismatch(preRoot, found);
        _load(l);
    }

    /// @notice Reserves the next `len` bytes of the witness and returns their calldata offset.
    function take(Ledger memory l, uint256 len) internal pure returns (uint256 at) {
        at = l.cursor;
        uint256 next = at + len;
        if (next > l.end) revert IOneStepVerifier.WitnessTruncated(l.end - l.base, next - l.base);
        l.cursor = next;
    }

    /// @notice Reads account `index` (< 2^32, below `nextAccountIndex`) from the next opening, proven
    ///         against the running accounts root.
    /// @return a The leaf.
    /// @return siblings Calldata offset of its 32 siblings, for the write that may follow.
    function readAccount(Ledger memory l, uint256 index)
        internal
        pure
        returns (AccountLeaf memory a, uint256 siblings)
    {
        (uint256 at, uint256 position) = _opening(l, OPENING_ACCOUNT, ACCOUNT_OPENING_SIZE);
        // The kind byte 0x01 is also the account leaf's tag (§1), so the opening's first 45 bytes are the
        // leaf's preimage.
        siblings = at + ACCOUNT_PREFIX_SIZE;
        bytes32 leaf = LibWitness.hashAt(at, ACCOUNT_PREFIX_SIZE);
        if (LibWitness.foldState(leaf, index, siblings) != l.accountsRoot) {
            revert IOneStepVerifier.BadProof(position, OPENING_ACCOUNT, index);
        }
        a.owner = address(uint160(LibWitness.uintAt(at + 1, 20)));
        a.token = uint32(LibWitness.uintAt(at + 21, 4));
        a.balance = uint128(LibWitness.uintAt(at + 25, 16));
        a.nonce = uint32(LibWitness.uintAt(at + 41, 4));
    }

    /// @notice Overwrites account `index`, just read with `siblings`, with `a`.
    function writeAccount(Ledger memory l, uint256 index, uint256 siblings, AccountLeaf memory a) internal pure {
        l.accountsRoot = LibWitness.foldState(LibHash.accountLeaf(a), index, siblings);
    }

    /// @notice Writes `a` at the empty position `nextAccountIndex` (< 2^32) and increments it.
    function createAccount(Ledger memory l, AccountLeaf memory a) internal pure {
        uint256 index = l.nextAccountIndex;
        l.accountsRoot = _fillEmpty(l, OPENING_EMPTY_ACCOUNT, index, l.accountsRoot, LibHash.accountLeaf(a));
        l.nextAccountIndex = index + 1;
    }

    /// @notice Appends the withdrawal leaf `(withdrawalCount, recipient, token, amount)` at the empty position
    ///         `withdrawalCount` (< 2^32) and increments it.
    function appendWithdrawal(Ledger memory l, address recipient, uint32 token, uint128 amount) internal pure {
        uint256 index = l.withdrawalCount;
        // The callers check the counter; the cast cannot truncate (and `_fillEmpty` rejects it if it would).
        bytes32 leaf = LibHash.withdrawalLeaf(uint32(index), recipient, token, amount);
        l.withdrawalsRoot = _fillEmpty(l, OPENING_EMPTY_WITHDRAWAL, index, l.withdrawalsRoot, leaf);
        l.withdrawalCount = index + 1;
    }

    /// @notice `msgsConsumed += 1`; reverts with `CounterOverflow` at 2^64 − 1.
    function consumeMessage(Ledger memory l) internal pure {
        uint256 consumed = l.msgsConsumed;
        if (consumed == type(uint64).max) revert IOneStepVerifier.CounterOverflow(uint64(consumed));
        l.msgsConsumed = consumed + 1;
    }

    /// @notice Discards every write of the step: a skipped step returns to the pre-state.
    function discard(Ledger memory l) internal pure {
        _load(l);
    }

    /// @notice Ends the step: reverts with `UnusedWitnessBytes` if bytes are left, else returns the state
    ///         root of the running preimage.
    function close(Ledger memory l) internal pure returns (bytes32) {
        if (l.cursor != l.end) revert IOneStepVerifier.UnusedWitnessBytes(l.cursor - l.base, l.end - l.cursor);
        return LibHash.stateRoot(
            l.accountsRoot,
            l.withdrawalsRoot,
            uint64(l.nextAccountIndex),
            uint64(l.msgsConsumed),
            uint64(l.withdrawalCount)
        );
    }

    /// @dev Loads the running preimage from `pre`, the witness's first 88 bytes.
    function _load(Ledger memory l) private pure {
        uint256 at = l.base;
        l.accountsRoot = bytes32(LibWitness.uintAt(at, 32));
        l.withdrawalsRoot = bytes32(LibWitness.uintAt(at + 32, 32));
        l.nextAccountIndex = LibWitness.uintAt(at + 64, 8);
        l.msgsConsumed = LibWitness.uintAt(at + 72, 8);
        l.withdrawalCount = LibWitness.uintAt(at + 80, 8);
    }

    /// @dev Takes the next opening, which must be of kind `kind` and `size` bytes long.
    function _opening(Ledger memory l, uint8 kind, uint256 size) private pure returns (uint256 at, uint256 position) {
        position = l.openings;
        if (l.cursor == l.end) revert IOneStepVerifier.MissingOpening(position);
        uint8 found = uint8(LibWitness.uintAt(l.cursor, 1));
        if (found != kind) revert IOneStepVerifier.UnexpectedOpening(position, kind, found);
        at = take(l, size);
        l.openings = position + 1;
    }

    /// @dev Takes the next opening as the empty position `index` under `root` and returns `root` with `leaf`
    ///      written there. An index past the tree is a bad proof, as in the engine (callers never ask for one).
    function _fillEmpty(Ledger memory l, uint8 kind, uint256 index, bytes32 root, bytes32 leaf)
        private
        pure
        returns (bytes32)
    {
        (uint256 at, uint256 position) = _opening(l, kind, EMPTY_OPENING_SIZE);
        uint256 siblings = at + 1;
        if (index >= TREE_CAPACITY || LibWitness.foldState(Z0, index, siblings) != root) {
            revert IOneStepVerifier.BadProof(position, kind, index);
        }
        return LibWitness.foldState(leaf, index, siblings);
    }
}

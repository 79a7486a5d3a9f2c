// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TAG_STATE_NODE, TAG_DATA_NODE} from "../../libraries/Types.sol";

/// @dev Witness layout (PROTOCOL §8.2), in bytes. `pre` is the state-root preimage without its tag.
uint256 constant PRE_SIZE = 88;
/// @dev A message input: the §4 preimage without its tag.
uint256 constant MESSAGE_SIZE = 65;
/// @dev A record input up to its header: `position:u32 ‖ record:128 ‖ path:9×32 ‖ headerLength:u8`.
uint256 constant RECORD_INPUT_SIZE = 421;
/// @dev An account opening: `0x01 ‖ owner ‖ token:u32 ‖ balance:u128 ‖ nonce:u32 ‖ siblings:32×32`.
uint256 constant ACCOUNT_OPENING_SIZE = 1069;
/// @dev An empty-position opening: `kind ‖ siblings:32×32`.
uint256 constant EMPTY_OPENING_SIZE = 1025;
/// @dev Bytes of an account opening before its siblings: kind byte and leaf fields.
uint256 constant ACCOUNT_PREFIX_SIZE = 45;

/// @dev Opening kind byte: an account read.
uint8 constant OPENING_ACCOUNT = 1;
/// @dev Opening kind byte: the empty position `nextAccountIndex`, where a deposit creates an account.
uint8 constant OPENING_EMPTY_ACCOUNT = 2;
/// @dev Opening kind byte: the empty position `withdrawalCount`, where a withdrawal leaf is appended.
uint8 constant OPENING_EMPTY_WITHDRAWAL = 3;

/// @title LibWitness
/// @notice Reads a one-step witness (PROTOCOL §8.2) where it lies in calldata: big-endian fields at
///         absolute calldata offsets, hashes of byte ranges, and Merkle folds whose siblings are never copied.
/// @dev These functions do no bounds checks: callers reserve every range first (`LibLedger.take`), so an
///      offset here is always inside the witness.
library LibWitness {
    /// @notice The `len`-byte (1 ≤ len ≤ 32) big-endian unsigned integer at calldata offset `at`.
    function uintAt(uint256 at, uint256 len) internal pure returns (uint256 v) {
        // One word load per field: the bytes after the field are shifted out.
        assembly ("memory-safe") {
            v := shr(sub(256, shl(3, len)), calldataload(at))
        }
    }

    /// @notice `H(tag ‖ calldata[at, at + len))`: a state root from `pre`, a message hash from its input,
    ///         a record leaf from its 128 bytes.
    function hashTagged(bytes1 tag, uint256 at, uint256 len) internal pure returns (bytes32 h) {
        // Hashed past the free pointer without allocating: the preimage is used once.
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, tag)
            calldatacopy(add(p, 1), at, len)
            h := keccak256(p, add(len, 1))
        }
    }

    /// @notice `H(calldata[at, at + len))`, for byte ranges that begin with their own domain tag.
    function hashAt(uint256 at, uint256 len) internal pure returns (bytes32 h) {
        // As `hashTagged`, without a tag to prepend.
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, at, len)
            h := keccak256(p, len)
        }
    }

    /// @notice Folds the 32 siblings at calldata offset `siblings` (a state-tree proof, §2) upwards from `leaf`
    ///         at `index`, with nodes `H(0x03 ‖ l ‖ r)`.
    /// @dev Bit `k` of `index` set means the running hash is the right child at level `k`.
    function foldState(bytes32 leaf, uint256 index, uint256 siblings) internal pure returns (bytes32 h) {
        // Assembly: six of these folds are most of a transfer's execution. Each sibling is hashed straight from
        // calldata into one 65-byte scratch past the free pointer, eight levels per loop turn: ~135 gas a
        // level, against ~195 rolled and ~400 copying the proof to memory with a LibHash call per level.
        bytes1 tag = TAG_STATE_NODE;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, tag)
            let p1 := add(p, 1)
            let p33 := add(p, 33)
            h := leaf
            // `right` is 0 when the running hash is the left child, 32 when it is the right one.
            let right
            for { let end := add(siblings, 1024) } lt(siblings, end) {} {
                // Eight identical levels: place the pair by the index bit, hash it, step to the next sibling.
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
                right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
                siblings := add(siblings, 32)
            }
        }
    }

    /// @notice Folds the 9 siblings at calldata offset `siblings` (a record's path, §6.2) upwards from the record
    ///         leaf `leaf` at `index`, with nodes `H(0x07 ‖ l ‖ r)`.
    /// @dev As `foldState`; bits of `index` past the ninth are ignored, as in the engine's fold.
    function foldData(bytes32 leaf, uint256 index, uint256 siblings) internal pure returns (bytes32 h) {
        // Assembly: as `foldState`, rolled (once per record step).
        bytes1 tag = TAG_DATA_NODE;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, tag)
            let p1 := add(p, 1)
            let p33 := add(p, 33)
            h := leaf
            for { let end := add(siblings, 288) } lt(siblings, end) { siblings := add(siblings, 32) } {
                let right := shl(5, and(index, 1))
                mstore(add(p1, right), h)
                mstore(sub(p33, right), calldataload(siblings))
                h := keccak256(p, 65)
                index := shr(1, index)
            }
        }
    }
}

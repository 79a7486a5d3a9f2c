// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    TAG_EMPTY_LEAF,
    TAG_ACCOUNT,
    TAG_WITHDRAWAL,
    TAG_STATE_NODE,
    TAG_STATE_ROOT,
    TAG_MESSAGE,
    TAG_RECORD,
    TAG_DATA_NODE,
    TAG_HEADER,
    TAG_DATA_ROOT,
    TAG_TRACE_NODE,
    RECORD_SIZE,
    StatePreimage,
    WithdrawalLeaf,
    AccountLeaf,
    L1Message
} from "./Types.sol";

/// @title LibHash
/// @notice Every hash Bulwark defines (PROTOCOL §1–§8): a one-byte domain tag, then the fields packed
///         big-endian at their exact widths (`abi.encodePacked` of `uintN` writes N/8 bytes).
/// @dev Pure functions of their arguments; none reverts. Tree-node hashes are hot (511 per full commit,
///      32 per proof fold) and are written in assembly; every other hash is plain `abi.encodePacked`.
library LibHash {
    /// @notice Empty leaf of a state tree, `Z[0] = H(0x00)`.
    function emptyLeaf() internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_EMPTY_LEAF));
    }

    /// @notice Account leaf, `H(0x01 ‖ owner ‖ token:u32 ‖ balance:u128 ‖ nonce:u32)` (45-byte preimage).
    function accountLeaf(address owner, uint32 token, uint128 balance, uint32 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_ACCOUNT, owner, token, balance, nonce));
    }

    /// @notice Account leaf of a struct; see `accountLeaf(address,uint32,uint128,uint32)`.
    function accountLeaf(AccountLeaf memory a) internal pure returns (bytes32) {
        return accountLeaf(a.owner, a.token, a.balance, a.nonce);
    }

    /// @notice Withdrawal leaf, `H(0x02 ‖ index:u32 ‖ recipient ‖ token:u32 ‖ amount:u128)` (45-byte preimage).
    function withdrawalLeaf(uint32 index, address recipient, uint32 token, uint128 amount)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(TAG_WITHDRAWAL, index, recipient, token, amount));
    }

    /// @notice Withdrawal leaf of a struct; see `withdrawalLeaf(uint32,address,uint32,uint128)`.
    function withdrawalLeaf(WithdrawalLeaf memory w) internal pure returns (bytes32) {
        return withdrawalLeaf(w.index, w.recipient, w.token, w.amount);
    }

    /// @notice State root, `H(0x04 ‖ accountsRoot ‖ withdrawalsRoot ‖ nextAccountIndex:u64 ‖ msgsConsumed:u64
    ///         ‖ withdrawalCount:u64)` (89-byte preimage).
    function stateRoot(
        bytes32 accountsRoot,
        bytes32 withdrawalsRoot,
        uint64 nextAccountIndex,
        uint64 msgsConsumed,
        uint64 withdrawalCount
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                TAG_STATE_ROOT, accountsRoot, withdrawalsRoot, nextAccountIndex, msgsConsumed, withdrawalCount
            )
        );
    }

    /// @notice State root of a preimage struct; see `stateRoot(bytes32,bytes32,uint64,uint64,uint64)`.
    function stateRoot(StatePreimage memory p) internal pure returns (bytes32) {
        return stateRoot(p.accountsRoot, p.withdrawalsRoot, p.nextAccountIndex, p.msgsConsumed, p.withdrawalCount);
    }

    /// @notice L1 message, `H(0x05 ‖ index:u64 ‖ kind:u8 ‖ sender ‖ target:u64 ‖ token:u32 ‖ amount:u128
    ///         ‖ queuedAt:u64)` (66-byte preimage).
    function message(
        uint64 index,
        uint8 kind,
        address sender,
        uint64 target,
        uint32 token,
        uint128 amount,
        uint64 queuedAt
    ) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_MESSAGE, index, kind, sender, target, token, amount, queuedAt));
    }

    /// @notice The hash of message `m` (§4), as the Bridge stores it.
    function message(L1Message calldata m) internal pure returns (bytes32) {
        return message(m.index, m.kind, m.sender, m.target, m.token, m.amount, m.queuedAt);
    }

    /// @notice Record leaf, `H(0x06 ‖ rec)`, of one 128-byte record in calldata.
    /// @dev The caller guarantees `rec.length == RECORD_SIZE`; the hash covers exactly `rec`.
    function recordLeaf(bytes calldata rec) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_RECORD, rec));
    }

    /// @notice Header hash, `H(0x08 ‖ header)`.
    function header(bytes calldata hdr) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_HEADER, hdr));
    }

    /// @notice Data root, `H(0x09 ‖ headerHash ‖ recordsRoot)`.
    function dataRoot(bytes32 headerHash, bytes32 recordsRoot) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_DATA_ROOT, headerHash, recordsRoot));
    }

    /// @notice State-tree node, `H(0x03 ‖ l ‖ r)`.
    function stateNode(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return _node(TAG_STATE_NODE, l, r);
    }

    /// @notice Data-tree node, `H(0x07 ‖ l ‖ r)`.
    function dataNode(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return _node(TAG_DATA_NODE, l, r);
    }

    /// @notice Trace-tree node, `H(0x0a ‖ l ‖ r)`.
    function traceNode(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return _node(TAG_TRACE_NODE, l, r);
    }

    /// @dev `H(tag ‖ l ‖ r)`, 65 bytes hashed in memory past the free pointer (not allocated): hot in folds,
    ///      where `abi.encodePacked` would allocate 65 fresh bytes per level.
    function _node(bytes1 tag, bytes32 l, bytes32 r) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, tag)
            mstore(add(p, 1), l)
            mstore(add(p, 33), r)
            h := keccak256(p, 65)
        }
    }
}

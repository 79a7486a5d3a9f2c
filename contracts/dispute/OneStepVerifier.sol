// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOneStepVerifier} from "../interfaces/IOneStepVerifier.sol";
import {LibHash} from "../libraries/LibHash.sol";
import {LibEIP712} from "../libraries/LibEIP712.sol";
import {
    TAG_MESSAGE,
    TAG_RECORD,
    RECORD_SIZE,
    MSG_DEPOSIT,
    MSG_FORCED_WITHDRAWAL,
    SkipReason
} from "../libraries/Types.sol";
import {StepAnchor, AnchorKind} from "./DisputeTypes.sol";
import {LibWitness, MESSAGE_SIZE, RECORD_INPUT_SIZE} from "./lib/LibWitness.sol";
import {LibLedger, Ledger} from "./lib/LibLedger.sol";
import {LibMessageStep, StepMessage} from "./lib/LibMessageStep.sol";
import {LibRecordStep} from "./lib/LibRecordStep.sol";

/// @title OneStepVerifier
/// @notice Bulwark's one-step (PROTOCOL §8.3): the engine's `verify_step` in Solidity, a second implementation
///         of the STF of §7 over a witness's openings. A dispute game calls it on the one step two parties
///         disagree about; it is a pure function of its arguments, `block.chainid` and `ROLLUP`.
/// @dev The witness is parsed by hand from calldata (§8.2), every field bounds-checked before it is read, and
///      Merkle siblings are folded where they lie. Checks run in the engine's order: preimage, anchor, the
///      STF over the openings, then no bytes left. Reverts only with `IOneStepVerifier` errors.
contract OneStepVerifier is IOneStepVerifier {
    /// @inheritdoc IOneStepVerifier
    address public immutable ROLLUP;

    /// @param rollup The Rollup's address: with `block.chainid`, the EIP-712 domain transactions are signed in.
    constructor(address rollup) {
        if (rollup == address(0)) revert ZeroRollup();
        ROLLUP = rollup;
    }

    /// @inheritdoc IOneStepVerifier
    function execute(bytes32 preRoot, StepAnchor calldata anchor, bytes calldata witness)
        external
        view
        returns (bytes32 postRoot, SkipReason reason)
    {
        Ledger memory l = LibLedger.open(witness, preRoot);
        AnchorKind kind = anchor.kind;
        if (kind == AnchorKind.Message) {
            reason = _message(l, anchor.hash);
        } else if (kind == AnchorKind.Record) {
            reason = _record(l, anchor.hash, anchor.position, witness);
        }
        // An identity step is `pre` alone: no input, no openings, nothing changes.
        postRoot = LibLedger.close(l);
    }

    /// @dev A message step: the input must be of a known kind and hash to the Bridge's stored hash. The
    ///      message is consumed whether the step applies or skips.
    function _message(Ledger memory l, bytes32 anchored) private pure returns (SkipReason reason) {
        uint256 at = LibLedger.take(l, MESSAGE_SIZE);
        // The kind first, as the engine's decoder rejects it before any hash is checked.
        StepMessage memory m = LibMessageStep.read(at);
        if (m.kind != MSG_DEPOSIT && m.kind != MSG_FORCED_WITHDRAWAL) revert UnknownMessageKind(m.kind);
        // The input is the message's preimage after its tag (§4).
        bytes32 found = LibWitness.hashTagged(TAG_MESSAGE, at, MESSAGE_SIZE);
        if (found != anchored) revert MessageMismatch(anchored, found);
        reason = LibMessageStep.run(l, m);
        if (reason != SkipReason.None) LibLedger.discard(l);
        LibLedger.consumeMessage(l);
    }

    /// @dev A record step: the record must sit at the anchor's position of the batch whose data root is
    ///      `anchored`, under the header carried beside it.
    function _record(Ledger memory l, bytes32 anchored, uint32 position, bytes calldata witness)
        private
        view
        returns (SkipReason reason)
    {
        (bytes calldata rec, bytes calldata header) = _recordInput(l, anchored, position, witness);
        reason = LibRecordStep.run(l, LibEIP712.domainSeparator(block.chainid, ROLLUP), rec, header);
        if (reason != SkipReason.None) LibLedger.discard(l);
    }

    /// @dev Takes `position:u32 ‖ record:128 ‖ path:9×32 ‖ headerLength:u8 ‖ header` and checks it against
    ///      the anchor; returns the record and the header as slices of `witness`.
    function _recordInput(Ledger memory l, bytes32 anchored, uint32 position, bytes calldata witness)
        private
        pure
        returns (bytes calldata rec, bytes calldata header)
    {
        uint256 at = LibLedger.take(l, RECORD_INPUT_SIZE);
        {
            uint32 found = uint32(LibWitness.uintAt(at, 4));
            if (found != position) revert RecordPositionMismatch(position, found);
        }
        // Relative offsets for the slices; `take` has bounds-checked both ranges.
        uint256 headerLength = LibWitness.uintAt(at + RECORD_INPUT_SIZE - 1, 1);
        uint256 from = LibLedger.take(l, headerLength) - l.base;
        header = witness[from:from + headerLength];
        from = at + 4 - l.base;
        rec = witness[from:from + RECORD_SIZE];
        // The path's 9 siblings follow the record; bits of `position` past the ninth are ignored, as in the
        // engine.
        bytes32 leaf = LibWitness.hashTagged(TAG_RECORD, at + 4, RECORD_SIZE);
        bytes32 recordsRoot = LibWitness.foldData(leaf, position, at + 4 + RECORD_SIZE);
        bytes32 dataRoot = LibHash.dataRoot(LibHash.header(header), recordsRoot);
        if (dataRoot != anchored) revert RecordProofMismatch(anchored, dataRoot);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StepAnchor} from "../dispute/DisputeTypes.sol";
import {SkipReason} from "../libraries/Types.sol";

/// @title IOneStepVerifier
/// @notice The one-step of Bulwark's dispute games (PROTOCOL §8.2–§8.3): re-executes one step of a batch's
///         trace from a witness — the pre-state preimage, the step's input and the tree openings the STF
///         makes — and returns the post-root. It reverts only on a bad witness, never on content.
/// @dev Every error below names a bad witness (§8.2). Offsets and lengths are in bytes from the start of
///      the witness; `position` counts openings from 0.
interface IOneStepVerifier {
    // -----------------------------------------------------------------------------------------------------
    // Errors
    // -----------------------------------------------------------------------------------------------------

    /// @notice The Rollup address (the EIP-712 verifying contract) must not be zero.
    error ZeroRollup();
    /// @notice The witness ends inside a field that ends at byte `needed`.
    error WitnessTruncated(uint256 length, uint256 needed);
    /// @notice The witness's pre-state preimage does not hash to the agreed pre-root.
    error PreimageMismatch(bytes32 preRoot, bytes32 found);
    /// @notice The witness's message does not hash to the one the Bridge stores for this step.
    error MessageMismatch(bytes32 anchored, bytes32 found);
    /// @notice The witness's message has a kind byte that is neither 1 (deposit) nor 2 (forced withdrawal).
    error UnknownMessageKind(uint8 kind);
    /// @notice The witness proves a record at another position than the step's.
    error RecordPositionMismatch(uint32 anchored, uint32 found);
    /// @notice The record, its path and the header fold to another data root than the batch's.
    error RecordProofMismatch(bytes32 anchored, bytes32 found);
    /// @notice The STF needs opening `position` and the witness has no bytes left.
    error MissingOpening(uint256 position);
    /// @notice Opening `position` has kind byte `found`; the STF's access needs kind `expected`
    ///         (1 account, 2 empty account position, 3 empty withdrawal position).
    error UnexpectedOpening(uint256 position, uint8 expected, uint8 found);
    /// @notice Opening `position` (of kind `kind`, at tree index `index`) does not fold to the running root.
    error BadProof(uint256 position, uint8 kind, uint256 index);
    /// @notice `length` bytes from `offset` on are left after the STF finished.
    error UnusedWitnessBytes(uint256 offset, uint256 length);
    /// @notice A message step would take `msgsConsumed` past 2^64 − 1.
    error CounterOverflow(uint64 msgsConsumed);

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @notice The Rollup whose address, with `block.chainid`, makes the EIP-712 domain (§5.1).
    function ROLLUP() external view returns (address);

    /// @notice Executes one trace step from `preRoot` (PROTOCOL §8.3): checks `witness` against `preRoot` and
    ///         `anchor`, runs the STF of §7 over the witness's openings, and returns the post-root.
    /// @dev A function of its arguments, `block.chainid` and `ROLLUP` alone. Reverts only with the errors
    ///      above (a bad witness); any record bytes, signature or balance applies or skips.
    /// @param preRoot The state root before the step (the agreed post-root of the step before).
    /// @param anchor What the chain knows of the step: the stored message hash, or the batch's data root and
    ///        the record's position, or nothing for an identity step.
    /// @param witness `pre ‖ input ‖ opening*`, laid out as §8.2 says.
    /// @return postRoot The state root after the step.
    /// @return reason The §7.6 skip reason, or `SkipReason.None` when the step applied (diagnostic only).
    function execute(bytes32 preRoot, StepAnchor calldata anchor, bytes calldata witness)
        external
        view
        returns (bytes32 postRoot, SkipReason reason);
}

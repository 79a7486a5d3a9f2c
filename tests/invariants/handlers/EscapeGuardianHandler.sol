// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ISafe, SafeMultisig} from "../../utils/SafeMultisig.sol";
import {EscapeBooks} from "./EscapeBooks.sol";

/// @title EscapeGuardianHandler
/// @notice Invariant-test actor of the escape suite: the guardian, a real 3-of-5 Safe 1.4.1 whose every
///         action is a Safe transaction signed by three owners and submitted by a relayer (PROTOCOL §17). It
///         pauses whenever the fuzzer asks: inside the cooldown (or after the freeze) the attempt must revert
///         (`GS013` through the Safe, and the inner error the same call gets when made directly as the Safe)
///         and is counted; otherwise it must succeed. It unpauses a running pause early and rotates the
///         sequencer among three addresses. The books hold the pause and the sequencer as the rules say they
///         must be, which the commits and deposits of the other actors follow and the suite compares with
///         the Rollup.
/// @dev Deploys its Safe in the constructor so the suite can name it as the guardian at deployment; `init`
///      wires the Rollup and the books afterwards. Inherits `Test` through `SafeMultisig`, so the suite
///      targets its action selectors only.
contract EscapeGuardianHandler is SafeMultisig {
    address public immutable safe;
    Rollup public rollup;
    EscapeBooks public books;
    address[3] public sequencers;

    uint256 public pauses;
    uint256 public unpauses;
    uint256 public rotations;
    /// @dev Pause attempts refused because the cooldown had not ended (§17).
    uint256 public cooldownRefusals;
    /// @dev Guardian transactions refused because the rollup froze (§17: nothing left to guard).
    uint256 public frozenRefusals;
    uint256 public skippedNothing;

    constructor() {
        safe = _deploySafe();
    }

    function init(Rollup rollup_, EscapeBooks books_, address[3] memory sequencers_) external {
        require(address(rollup) == address(0), "guardian: wired once");
        rollup = rollup_;
        books = books_;
        sequencers = sequencers_;
    }

    // ----------------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------------

    function pause() external {
        bytes memory data = abi.encodeCall(IRollup.pause, ());
        if (books.frozen()) return _refusedFrozen(data);
        uint64 allowed = books.nextPauseAt();
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < allowed) {
            _refused(data, abi.encodeWithSelector(IRollup.PauseInCooldown.selector, allowed));
            ++cooldownRefusals;
            return;
        }
        require(_exec(data), "guardian: pause outside the cooldown");
        uint64 until = uint64(block.timestamp) + rollup.PAUSE();
        books.recordPause(until, until + rollup.COOLDOWN());
        ++pauses;
    }

    /// @dev Ends a running pause now; without one there is nothing to do (`NotPaused` is the Rollup's test).
    function unpause() external {
        bytes memory data = abi.encodeCall(IRollup.unpause, ());
        if (books.frozen()) return _refusedFrozen(data);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= books.pausedUntil()) {
            ++skippedNothing;
            return;
        }
        require(_exec(data), "guardian: unpause of a running pause");
        books.recordPause(uint64(block.timestamp), books.nextPauseAt());
        ++unpauses;
    }

    function rotate(uint256 seed) external {
        address next = sequencers[seed % 3];
        bytes memory data = abi.encodeCall(IRollup.setSequencer, (next));
        if (books.frozen()) return _refusedFrozen(data);
        require(_exec(data), "guardian: rotation");
        books.recordSequencer(next);
        ++rotations;
    }

    // ----------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------

    /// @dev Submits a threshold-signed Safe transaction calling the Rollup with `data`. True iff it went
    ///      through; a failed inner call makes Safe revert `GS013` (safeTxGas and gasPrice are zero).
    function _exec(bytes memory data) internal returns (bool) {
        bytes memory sigs = _signSafeTx(safe, address(rollup), data, _safeSigners(safe, ISafe(safe).getThreshold()));
        vm.prank(safeRelayer);
        try ISafe(safe)
            .execTransaction(address(rollup), 0, data, 0, 0, 0, 0, address(0), payable(address(0)), sigs) returns (
            bool ok
        ) {
            return ok;
        } catch (bytes memory err) {
            require(keccak256(err) == keccak256(abi.encodeWithSignature("Error(string)", "GS013")), "guardian: GS013");
            return false;
        }
    }

    /// @dev The Safe transaction must fail, and the same call made directly as the Safe must revert with
    ///      exactly `inner` (Safe does not pass inner revert data on).
    function _refused(bytes memory data, bytes memory inner) internal {
        require(!_exec(data), "guardian: a refused action went through");
        vm.prank(safe);
        (bool ok, bytes memory err) = address(rollup).call(data);
        require(!ok && keccak256(err) == keccak256(inner), "guardian: inner revert");
    }

    function _refusedFrozen(bytes memory data) internal {
        _refused(data, abi.encodeWithSelector(IRollup.RollupFrozen.selector));
        ++frozenRefusals;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StepAnchor} from "../../../contracts/dispute/DisputeTypes.sol";
import {SkipReason} from "../../../contracts/libraries/Types.sol";
import {StepBuilder} from "./StepBuilder.sol";

/// @title OneStepFixture
/// @notice Test-only: the state the one-step tests start from (five accounts of two tokens, one withdrawal
///         leaf, five messages consumed), the keys that sign for it, and the witnesses several tests share.
abstract contract OneStepFixture is StepBuilder {
    uint256 internal constant ALICE_PK = 0xA11CE;
    uint256 internal constant BOB_PK = 0xB0B;
    uint256 internal constant MALLORY_PK = 0xBAD;
    /// @dev Byte offsets of a transfer step's witness under a one-entry header: pre, input, three openings.
    uint256 internal constant INPUT_AT = 88;
    uint256 internal constant OPENINGS_AT = 88 + 421 + 8;
    uint256 internal constant ACCOUNT_OPENING = 1069;
    uint256 internal constant EMPTY_OPENING = 1025;

    address internal alice = vm.addr(ALICE_PK);
    address internal bob = vm.addr(BOB_PK);
    address internal carol = makeAddr("carol");
    address internal dave = makeAddr("dave");

    /// @dev `pre` of the model when `_save` was called, for a witness built after the model moved on.
    bytes internal _savedPre;

    /// @dev Accounts 0 alice ETH, 1 bob ETH, 2 carol ETH (fee recipient), 3 alice token 1 (nonce 3),
    ///      4 bob token 1; one withdrawal leaf; five messages consumed.
    function setUp() public override {
        super.setUp();
        _addAccount(alice, 0, 100 ether, 0);
        _addAccount(bob, 0, 5 ether, 0);
        _addAccount(carol, 0, 1 ether, 0);
        _addAccount(alice, 1, 1000, 3);
        _addAccount(bob, 1, 50, 0);
        _addWithdrawal(dave, 0, 7);
        msgsConsumed = 5;
    }

    // ----------------------------------------------------------------------------------------------------
    // Model helpers
    // ----------------------------------------------------------------------------------------------------

    /// @dev Saves the model's `pre` (for `_runMessage`) and returns its root.
    function _save() internal returns (bytes32) {
        _savedPre = _pre();
        return _root();
    }

    function _debit(uint32 i, uint128 total) internal {
        accounts[i].balance -= total;
        accounts[i].nonce += 1;
    }

    function _credit(uint32 i, uint128 amount) internal {
        accounts[i].balance += amount;
    }

    /// @dev The witness of alice's transfer of 3 ether to bob with a 0.1 ether fee to carol, and the model
    ///      advanced to its post-state. Returns the pre-root, anchor and witness.
    function _transferWithFee() internal returns (bytes32 pre, StepAnchor memory anchor, bytes memory w) {
        pre = _root();
        bytes memory input;
        (input, anchor) = _recordInput(_transfer(ALICE_PK, 0, 1, 0, 3 ether, 0.1 ether, 0), _header(0, 2));
        w = bytes.concat(_pre(), input, _openAccount(0));
        _debit(0, 3.1 ether);
        w = bytes.concat(w, _openAccount(1));
        _credit(1, 3 ether);
        w = bytes.concat(w, _openAccount(2));
        _credit(2, 0.1 ether);
    }

    /// @dev A record step with no openings (skipped before any read, or padding).
    function _recordOnly(bytes memory rec, bytes memory header)
        internal
        view
        returns (bytes32 pre, StepAnchor memory anchor, bytes memory w)
    {
        pre = _root();
        bytes memory input;
        (input, anchor) = _recordInput(rec, header);
        w = bytes.concat(_pre(), input);
    }

    /// @dev Runs a message step whose openings are `openings`; `msgsConsumed` is advanced in the model.
    function _runMessage(
        bytes32 pre,
        bytes memory input,
        StepAnchor memory anchor,
        bytes memory openings,
        SkipReason want
    ) internal {
        // The model is already past the step's writes: `pre` comes from `_save`.
        bytes memory w = bytes.concat(_savedPre, input, openings);
        msgsConsumed += 1;
        _expect(pre, anchor, w, _root(), want);
    }

    // ----------------------------------------------------------------------------------------------------
    // Byte helpers
    // ----------------------------------------------------------------------------------------------------

    /// @dev The first `len` bytes of `b`.
    function _cut(bytes memory b, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            out[i] = b[i];
        }
    }

    /// @dev The bytes of `b` from `from` on.
    function _tail(bytes memory b, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(b.length - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = b[from + i];
        }
    }

    /// @dev Replaces the signature at `at` (r ‖ s ‖ v) by its twin `(r, n − s, v ^ 1)`: same signer, high s.
    function _flipS(bytes memory rec, uint256 at) internal pure {
        uint256 s;
        assembly ("memory-safe") {
            s := mload(add(add(rec, 0x20), add(at, 32)))
        }
        bytes32 high = bytes32(N - s);
        for (uint256 i; i < 32; ++i) {
            rec[at + 32 + i] = high[i];
        }
        rec[at + 64] = bytes1(uint8(rec[at + 64]) ^ 0x07); // 27 ↔ 28
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOneStepVerifier} from "../../contracts/interfaces/IOneStepVerifier.sol";
import {StepAnchor} from "../../contracts/dispute/DisputeTypes.sol";
import {AccountLeaf, SkipReason} from "../../contracts/libraries/Types.sol";
import {OneStepFixture} from "./utils/OneStepFixture.sol";

/// @title OneStepVerifierFuzzTest
/// @notice Content never makes the one-step revert (PROTOCOL §8.2): any record bytes, any signature, any
///         amounts and balances give a step that applies or skips, given the witness of its openings.
contract OneStepVerifierFuzzTest is OneStepFixture {
    /// @dev Any 128 record bytes, shaped to reach every decoding branch and the account checks: the
    ///      witness either has no opening or the sender's read, and exactly one of the two is accepted. A
    ///      random signature never moves value, so the post-root is the pre-root.
    function testFuzz_AnyRecordNeverReverts(bytes32 a, bytes32 b, bytes32 c, bytes32 d, uint8 shape) public view {
        bytes memory rec = abi.encodePacked(a, b, c, d);
        uint8 kind = shape % 4;
        if (kind < 3) rec[0] = bytes1(kind);
        if (shape & 0x04 != 0) {
            // Zero tail: a well-formed transfer (bytes 114..128) or withdraw (126..128), or padding.
            uint256 tail = kind == 1 ? 114 : kind == 2 ? 126 : 0;
            for (uint256 i = tail; i < 128; ++i) {
                rec[i] = 0;
            }
        }
        if (shape & 0x08 != 0) {
            // Sender (and receiver) among the accounts; v a valid byte.
            rec[4] = bytes1(uint8(rec[4]) % 6);
            rec[1] = rec[2] = rec[3] = rec[5] = rec[6] = rec[7] = 0;
            rec[8] = bytes1(uint8(rec[8]) % 6);
            rec[113] = bytes1(uint8(27 + (uint8(rec[113]) & 1)));
            rec[125] = bytes1(uint8(27 + (uint8(rec[125]) & 1)));
        }
        (bytes32 pre, StepAnchor memory anchor, bytes memory w0) = _recordOnly(rec, _header(0, 2));
        bool padding = keccak256(rec) == keccak256(new bytes(128));
        uint32 from = uint32(bytes4(abi.encodePacked(rec[1], rec[2], rec[3], rec[4])));
        bool[2] memory ok;
        (ok[0],,,) = _checkRecordRun(pre, anchor, w0, padding);
        if (from < accounts.length) {
            (ok[1],,,) = _checkRecordRun(pre, anchor, bytes.concat(w0, _openAccount(from)), padding);
        }
        assertTrue(ok[0] != ok[1], "exactly one witness is accepted");
    }

    /// @dev Any signature over a valid transfer with a fee: skipped with a signature reason, never a revert.
    function testFuzz_AnySignatureNeverReverts(bytes32 r, bytes32 s, uint8 v) public view {
        // Bias towards the recovery path: v a valid byte, s low.
        if (v < 200) v = 27 + (v & 1);
        if (uint256(r) % 3 != 0) s = bytes32(uint256(s) >> 1);
        bytes memory rec = _transferRaw(0, 1, 0, 3 ether, 0.1 ether, 0, r, s, v);
        (bytes32 pre, StepAnchor memory anchor, bytes memory w0) = _recordOnly(rec, _header(0, 2));
        (bool ok0,, SkipReason r0,) = _checkRecordRun(pre, anchor, w0, false);
        (bool ok1,, SkipReason r1,) = _checkRecordRun(pre, anchor, bytes.concat(w0, _openAccount(0)), false);
        assertTrue(ok0 != ok1, "exactly one witness is accepted");
        SkipReason reason = ok0 ? r0 : r1;
        assertTrue(
            reason == SkipReason.SignatureV || reason == SkipReason.SignatureR || reason == SkipReason.SignatureS
                || reason == SkipReason.RecoveryFailed || reason == SkipReason.WrongSigner,
            "a signature reason"
        );
        // Form failures need no read; recovery and signer checks come after the sender's read.
        assertEq(ok1, reason == SkipReason.RecoveryFailed || reason == SkipReason.WrongSigner, "read iff form ok");
    }

    /// @dev Runs a record witness that must either be accepted with the pre-root (a skip, or padding) or be
    ///      rejected only for the number of its openings.
    function _checkRecordRun(bytes32 pre, StepAnchor memory anchor, bytes memory w, bool padding)
        internal
        view
        returns (bool ok, bytes32 root, SkipReason reason, bytes memory err)
    {
        (ok, root, reason, err) = _accepts(pre, anchor, w);
        if (ok) {
            assertEq(root, pre, "a random record changes nothing");
            assertEq(reason == SkipReason.None, padding, "applied iff padding");
        } else {
            _assertOpeningCountError(err);
        }
    }

    /// @dev A transfer's wiring for the fuzz test below.
    struct TransferCase {
        uint32 from;
        uint32 to;
        uint32 feeTo;
        uint128 amount;
        uint128 fee;
        uint32 nonce;
        bytes header;
        bool charged;
    }

    /// @dev Signed transfers with any amounts, fees, balances, nonces, tokens and wiring of from, to and fee
    ///      recipient (aliasing included): of the witnesses with 0–3 reads built as the STF would make them,
    ///      exactly one is accepted, and an applied step's post-root is the model's.
    function testFuzz_SignedTransferNeverReverts(
        uint128[3] memory balances,
        uint128 amount,
        uint128 fee,
        uint32 nonce,
        uint8 wiring,
        uint8 flags
    ) public {
        // Accounts 5, 6, 7: all alice's, so any of them can send; 5 has the fuzzed nonce, 6 may hold token 1.
        for (uint256 i; i < 3; ++i) {
            _addAccount(alice, (flags & 0x01 != 0 && i == 1) ? 1 : 0, balances[i], i == 0 ? nonce : 0);
        }
        TransferCase memory t = TransferCase({
            from: 5 + uint32(wiring % 3),
            to: 5 + uint32((wiring / 3) % 3),
            feeTo: 5 + uint32((wiring / 9) % 3),
            amount: amount,
            fee: fee,
            nonce: 0,
            header: "",
            charged: false
        });
        t.nonce = accounts[t.from].nonce ^ (flags & 0x02 != 0 ? 1 : 0); // maybe a bad nonce
        if (flags & 0x04 == 0) t.header = _header(0, t.feeTo);
        t.charged = t.header.length > 0 && fee > 0;

        bytes32 pre = _root();
        bytes[4] memory ws;
        StepAnchor memory anchor;
        (ws[0], anchor) = _transferCaseStart(t);
        uint256 built = _buildTransferPrefixes(ws, t);
        _assertOneAccepted(pre, anchor, ws, built, t.charged ? 3 : 2);
    }

    /// @dev `pre ‖ input` of the case's transfer, signed by alice, and its anchor.
    function _transferCaseStart(TransferCase memory t) internal view returns (bytes memory, StepAnchor memory) {
        bytes memory rec = _transfer(ALICE_PK, t.from, t.to, 0, t.amount, t.fee, t.nonce);
        (bytes memory input, StepAnchor memory anchor) = _recordInput(rec, t.header);
        return (bytes.concat(_pre(), input), anchor);
    }

    /// @dev Of `ws[0..=built]`, exactly one is accepted; applied only with `reads` openings, at the model's
    ///      root, and skipped at the pre-root.
    function _assertOneAccepted(bytes32 pre, StepAnchor memory anchor, bytes[4] memory ws, uint256 built, uint256 reads)
        internal
        view
    {
        uint256 accepted;
        for (uint256 k; k <= built; ++k) {
            (bool ok, bytes32 root, SkipReason reason, bytes memory err) = _accepts(pre, anchor, ws[k]);
            if (!ok) {
                _assertOpeningCountError(err);
                continue;
            }
            ++accepted;
            if (reason == SkipReason.None) {
                assertEq(k, reads, "applied after every read");
                assertEq(root, _root(), "applied post-root");
            } else {
                assertEq(root, pre, "skipped post-root");
            }
        }
        assertEq(accepted, 1, "exactly one witness is accepted");
    }

    /// @dev Fills `ws[1..]` with the transfer's witness after each read, writing the model as the STF would;
    ///      stops where a write cannot be computed (the STF would have skipped). Returns the last index built.
    function _buildTransferPrefixes(bytes[4] memory ws, TransferCase memory t) internal returns (uint256) {
        uint128 fee = t.charged ? t.fee : 0;
        ws[1] = bytes.concat(ws[0], _openAccount(t.from));
        AccountLeaf storage f = accounts[t.from];
        if (uint256(t.amount) + fee > f.balance || f.nonce == type(uint32).max) return 1;
        _debit(t.from, t.amount + fee);
        ws[2] = bytes.concat(ws[1], _openAccount(t.to));
        if (uint256(accounts[t.to].balance) + t.amount > type(uint128).max) return 2;
        _credit(t.to, t.amount);
        if (fee == 0) return 2;
        ws[3] = bytes.concat(ws[2], _openAccount(t.feeTo));
        if (uint256(accounts[t.feeTo].balance) + fee <= type(uint128).max) _credit(t.feeTo, fee);
        return 3;
    }

    /// @dev Deposits of any amount to any target: credited to an existing account of the token without
    ///      overflow, else a new account; exactly as the model says.
    function testFuzz_DepositNeverReverts(uint64 target, uint32 token, uint128 amount, uint128 balance) public {
        vm.assume(amount > 0);
        if (target % 2 == 0) target = target % 7; // often an account, or just past the last one
        token = token % 2;
        _addAccount(bob, 0, balance, 0);
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, target, token, amount);
        bytes memory w = bytes.concat(_pre(), input);
        bool exists = target < accounts.length;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 index = uint32(target); // used only when `exists`: below the 6 accounts
        if (exists) w = bytes.concat(w, _openAccount(index));
        if (exists && accounts[index].token == token && uint256(accounts[index].balance) + amount <= type(uint128).max)
        {
            _credit(index, amount);
        } else {
            w = bytes.concat(w, _openEmptyAccount());
            _addAccount(carol, token, amount, 0);
        }
        msgsConsumed += 1;
        (bytes32 root, SkipReason reason) = verifier.execute(pre, anchor, w);
        assertEq(uint8(reason), uint8(SkipReason.None), "a deposit applies");
        assertEq(root, _root(), "deposit post-root");
    }

    /// @dev A rejected witness with the right content but the wrong number of openings.
    function _assertOpeningCountError(bytes memory err) internal pure {
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes4 selector = bytes4(err); // the selector: the first four bytes of the revert data
        assertTrue(
            selector == IOneStepVerifier.MissingOpening.selector
                || selector == IOneStepVerifier.UnusedWitnessBytes.selector,
            "rejected only for its openings"
        );
    }
}

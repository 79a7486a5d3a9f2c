// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StepAnchor} from "../../contracts/dispute/DisputeTypes.sol";
import {SkipReason, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {OneStepFixture} from "./utils/OneStepFixture.sol";

/// @title OneStepVerifierStfTest
/// @notice The STF of PROTOCOL §7 through the one-step, case by hand: each step kind applied, and skipped
///         at each of its checks, with the openings the engine would record and the post-root of the model.
contract OneStepVerifierStfTest is OneStepFixture {
    // ----------------------------------------------------------------------------------------------------
    // Deposits (§7.1)
    // ----------------------------------------------------------------------------------------------------

    function test_Deposit_toNewAccount() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, NEW_ACCOUNT, 1, 42);
        bytes memory openings = _openEmptyAccount();
        _addAccount(carol, 1, 42, 0);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_pastLastAccountCreatesOne() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, 5, 0, 42);
        bytes memory openings = _openEmptyAccount();
        _addAccount(carol, 0, 42, 0);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_toExistingAccount() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, 4, 1, 42);
        bytes memory openings = _openAccount(4);
        _credit(4, 42);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_ofAnotherTokenCreatesAccount() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, 4, 0, 42);
        bytes memory openings = bytes.concat(_openAccount(4), _openEmptyAccount());
        _addAccount(carol, 0, 42, 0);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_reachingTwoTo128CreatesAccount() public {
        accounts[4].balance = type(uint128).max - 41;
        bytes32 pre = _save();
        // 2^128 − 42 + 42 = 2^128: a new account.
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, 4, 1, 42);
        bytes memory openings = bytes.concat(_openAccount(4), _openEmptyAccount());
        _addAccount(carol, 1, 42, 0);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_reachingTwoTo128MinusOneCredits() public {
        accounts[4].balance = type(uint128).max - 42;
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, 4, 1, 42);
        bytes memory openings = _openAccount(4);
        _credit(4, 42);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
        assertEq(accounts[4].balance, type(uint128).max, "balance 2^128 - 1");
    }

    function test_Deposit_accountTreeFullReturnsToSender() public {
        nextAccountIndex = uint64(1 << 32);
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, NEW_ACCOUNT, 0, 42);
        bytes memory openings = _openEmptyWithdrawal();
        _addWithdrawal(carol, 0, 42);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_targetAtOrPast2To32NeverExists() public {
        // The counter says 2^33 accounts; target 2^32 + 1 is below it but is no tree index.
        nextAccountIndex = uint64(1 << 33);
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, uint64(1 << 32) + 1, 0, 42);
        bytes memory openings = _openEmptyWithdrawal();
        _addWithdrawal(carol, 0, 42);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_Deposit_bothTreesFullIsConsumed() public {
        nextAccountIndex = uint64(1 << 32);
        withdrawalCount = uint64(1 << 32);
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, NEW_ACCOUNT, 0, 42);
        _runMessage(pre, input, anchor, "", SkipReason.WithdrawalsFull);
    }

    // ----------------------------------------------------------------------------------------------------
    // Forced withdrawals (§7.2)
    // ----------------------------------------------------------------------------------------------------

    function test_ForcedWithdrawal_applies() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(2, alice, 3, 1, 600);
        bytes memory openings = _openAccount(3);
        accounts[3].balance -= 600; // nonce unchanged
        openings = bytes.concat(openings, _openEmptyWithdrawal());
        _addWithdrawal(alice, 1, 600);
        _runMessage(pre, input, anchor, openings, SkipReason.None);
    }

    function test_ForcedWithdrawal_skipsWhenNotOwner() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(2, bob, 3, 1, 600);
        _runMessage(pre, input, anchor, _openAccount(3), SkipReason.NotOwner);
    }

    function test_ForcedWithdrawal_skipsOnOverdraft() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(2, alice, 3, 1, 1001);
        _runMessage(pre, input, anchor, _openAccount(3), SkipReason.Overdraft);
    }

    function test_ForcedWithdrawal_skipsOnOtherToken() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(2, alice, 3, 0, 1);
        _runMessage(pre, input, anchor, _openAccount(3), SkipReason.TokenMismatch);
    }

    function test_ForcedWithdrawal_skipsWithoutAccountOrRoom() public {
        bytes32 pre = _save();
        (bytes memory input, StepAnchor memory anchor) = _message(2, alice, 5, 0, 1);
        _runMessage(pre, input, anchor, "", SkipReason.NoSuchAccount);

        withdrawalCount = uint64(1 << 32);
        pre = _save();
        (input, anchor) = _message(2, alice, 0, 0, 1);
        _runMessage(pre, input, anchor, "", SkipReason.WithdrawalsFull);
    }

    // ----------------------------------------------------------------------------------------------------
    // Transfers (§7.3)
    // ----------------------------------------------------------------------------------------------------

    function test_Transfer_appliesWithFee() public {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _transferWithFee();
        _expect(pre, anchor, w, _root(), SkipReason.None);
        assertEq(accounts[0].balance, 96.9 ether, "alice debited amount + fee");
        assertEq(accounts[0].nonce, 1, "alice nonce bumped");
    }

    function test_Transfer_skipsWhenFeeRecipientMissing() public view {
        // The header names account 9 (past the last) for ETH and the fee is > 0: no read at all.
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) =
            _recordOnly(_transfer(ALICE_PK, 0, 1, 0, 3 ether, 1, 0), _header(0, 9));
        _expect(pre, anchor, w, pre, SkipReason.NoSuchAccount);
    }

    function test_Transfer_zeroFeeIgnoresMissingFeeRecipient() public {
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 1, 0, 3 ether, 0, 0), _header(0, 9));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(0));
        _debit(0, 3 ether);
        w = bytes.concat(w, _openAccount(1));
        _credit(1, 3 ether);
        _expect(pre, anchor, w, _root(), SkipReason.None);
    }

    function test_Transfer_feeOfUnnamedTokenIsNotCharged() public {
        // Token 1 has no recipient in the header: the fee is not charged, two reads.
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 3, 4, 1, 10, 5, 3), _header(0, 2));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(3));
        _debit(3, 10);
        w = bytes.concat(w, _openAccount(4));
        _credit(4, 10);
        _expect(pre, anchor, w, _root(), SkipReason.None);
    }

    function test_Transfer_signatureFormSkipsBeforeReading() public view {
        bytes memory rec = _transfer(ALICE_PK, 0, 1, 0, 3 ether, 0, 0);
        // High s (the same signature, negated): valid ECDSA, rejected by form.
        bytes memory highS = bytes.concat(rec);
        _flipS(highS, 49);
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _recordOnly(highS, _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.SignatureS);

        bytes memory v29 = bytes.concat(rec);
        v29[113] = bytes1(uint8(29));
        (pre, anchor, w) = _recordOnly(v29, _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.SignatureV);

        bytes memory r0 = bytes.concat(rec);
        for (uint256 i = 49; i < 81; ++i) {
            r0[i] = 0;
        }
        (pre, anchor, w) = _recordOnly(r0, _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.SignatureR);
    }

    function test_Transfer_skipsForWrongSigner() public view {
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(MALLORY_PK, 0, 1, 0, 3 ether, 0, 0), _header(0, 2));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)), pre, SkipReason.WrongSigner);
    }

    function test_Transfer_signatureBindsChainId() public {
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 1, 0, 3 ether, 0, 0), _header(0, 2));
        vm.chainId(block.chainid + 1);
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)), pre, SkipReason.WrongSigner);
    }

    function test_Transfer_skipsOnNonce() public {
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 3, 4, 1, 10, 0, 2), _header(0, 2));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(3)), pre, SkipReason.BadNonce);

        accounts[3].nonce = type(uint32).max;
        pre = _root();
        (input, anchor) = _recordInput(_transfer(ALICE_PK, 3, 4, 1, 10, 0, type(uint32).max), _header(0, 2));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(3)), pre, SkipReason.NonceExhausted);
    }

    function test_Transfer_skipsOnTokenAndOverdraft() public view {
        bytes32 pre = _root();
        // Alice's ETH account asked to move token 1.
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 4, 1, 10, 0, 0), _header(0, 2));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)), pre, SkipReason.TokenMismatch);

        // Amount and fee each below the balance, their sum above it.
        (input, anchor) = _recordInput(_transfer(ALICE_PK, 0, 1, 0, 60 ether, 60 ether, 0), _header(0, 2));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)), pre, SkipReason.Overdraft);

        // A sum past 2^128 is compared without wrapping.
        uint128 max = type(uint128).max;
        (input, anchor) = _recordInput(_transfer(ALICE_PK, 0, 1, 0, max, max, 0), _header(0, 2));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)), pre, SkipReason.Overdraft);
    }

    function test_Transfer_skipsWhenReceiverHoldsOtherToken() public {
        bytes32 pre = _root();
        bytes memory pre88 = _pre();
        // Bob's token-1 account cannot take ETH: the debit written before is discarded.
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 4, 0, 1 ether, 0, 0), _header(0, 2));
        bytes memory w = bytes.concat(pre88, input, _openAccount(0));
        _debit(0, 1 ether);
        w = bytes.concat(w, _openAccount(4));
        _expect(pre, anchor, w, pre, SkipReason.TokenMismatch);
    }

    function test_Transfer_skipsOnCreditOverflow() public {
        accounts[1].balance = type(uint128).max;
        accounts[2].balance = type(uint128).max;
        bytes32 pre = _root();
        bytes memory pre88 = _pre();
        // To bob: overflow at the receiver.
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 1, 0, 1, 0, 0), _header(0, 2));
        bytes memory w = bytes.concat(pre88, input, _openAccount(0));
        _debit(0, 1);
        w = bytes.concat(w, _openAccount(1));
        _expect(pre, anchor, w, pre, SkipReason.CreditOverflow);
        accounts[0].balance += 1;
        accounts[0].nonce -= 1;

        // To alice's own account with a fee to carol: overflow at the fee recipient.
        (input, anchor) = _recordInput(_transfer(ALICE_PK, 0, 0, 0, 1, 1, 0), _header(0, 2));
        w = bytes.concat(pre88, input, _openAccount(0));
        _debit(0, 2);
        w = bytes.concat(w, _openAccount(0));
        _credit(0, 1);
        w = bytes.concat(w, _openAccount(2));
        _expect(pre, anchor, w, pre, SkipReason.CreditOverflow);
    }

    function test_Transfer_fromIsToIsFeeRecipient() public {
        // Alice pays herself with a fee to herself: three reads of one leaf against the running root.
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 0, 0, 3 ether, 1 ether, 0), _header(0, 0));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(0));
        _debit(0, 4 ether);
        w = bytes.concat(w, _openAccount(0));
        _credit(0, 3 ether);
        w = bytes.concat(w, _openAccount(0));
        _credit(0, 1 ether);
        _expect(pre, anchor, w, _root(), SkipReason.None);
        assertEq(accounts[0].balance, 100 ether, "balance unchanged");
        assertEq(accounts[0].nonce, 1, "only the nonce moved");
    }

    function test_Transfer_ofZeroBumpsNonceAndPaysFee() public {
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 1, 0, 0, 5, 0), _header(0, 2));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(0));
        _debit(0, 5);
        w = bytes.concat(w, _openAccount(1));
        w = bytes.concat(w, _openAccount(2));
        _credit(2, 5);
        _expect(pre, anchor, w, _root(), SkipReason.None);
    }

    function test_Transfer_skipsForMissingAccounts() public view {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) =
            _recordOnly(_transfer(ALICE_PK, 5, 1, 0, 1, 0, 0), _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.NoSuchAccount);
        (pre, anchor, w) = _recordOnly(_transfer(ALICE_PK, 0, 5, 0, 1, 0, 0), _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.NoSuchAccount);
    }

    // ----------------------------------------------------------------------------------------------------
    // Withdraws (§7.4)
    // ----------------------------------------------------------------------------------------------------

    function test_Withdraw_skipsOnZeroAmountOrRecipient() public view {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) =
            _recordOnly(_withdraw(ALICE_PK, 0, dave, 0, 1, 0), _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.ZeroAmount);
        (pre, anchor, w) = _recordOnly(_withdraw(ALICE_PK, 0, address(0), 1, 1, 0), _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.ZeroRecipient);
    }

    function test_Withdraw_skipsWhenWithdrawalTreeFull() public {
        withdrawalCount = uint64(1 << 32);
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) =
            _recordOnly(_withdraw(ALICE_PK, 0, dave, 1, 0, 0), _header(0, 2));
        _expect(pre, anchor, w, pre, SkipReason.WithdrawalsFull);
    }

    function test_Withdraw_appliesWithFee() public {
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_withdraw(ALICE_PK, 0, dave, 2 ether, 0.01 ether, 0), _header(0, 2));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(0));
        _debit(0, 2.01 ether);
        w = bytes.concat(w, _openAccount(2));
        _credit(2, 0.01 ether);
        w = bytes.concat(w, _openEmptyWithdrawal());
        _addWithdrawal(dave, 0, 2 ether);
        _expect(pre, anchor, w, _root(), SkipReason.None);
    }

    function test_Withdraw_tokenIsTheSendersOwn() public {
        // Alice's token-1 account: no fee recipient for token 1, so the fee is not charged.
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_withdraw(ALICE_PK, 3, dave, 100, 7, 3), _header(0, 2));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(3));
        _debit(3, 100);
        w = bytes.concat(w, _openEmptyWithdrawal());
        _addWithdrawal(dave, 1, 100);
        _expect(pre, anchor, w, _root(), SkipReason.None);
    }

    function test_Withdraw_skipsWhenFeeRecipientMissing() public view {
        // The recipient's existence is checked after the read, once the token is known.
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_withdraw(ALICE_PK, 0, dave, 1, 1, 0), _header(0, 9));
        _expect(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)), pre, SkipReason.NoSuchAccount);
    }

    // ----------------------------------------------------------------------------------------------------
    // Padding, malformed and identity steps (§7.5)
    // ----------------------------------------------------------------------------------------------------

    function test_Padding_applies() public view {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _recordOnly(new bytes(128), "");
        _expect(pre, anchor, w, pre, SkipReason.None);
    }

    function test_Malformed_skips() public view {
        bytes memory rec = new bytes(128);
        rec[0] = 0x07;
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _recordOnly(rec, "");
        _expect(pre, anchor, w, pre, SkipReason.UnknownKind);

        rec = _transfer(ALICE_PK, 0, 1, 0, 1, 0, 0);
        rec[127] = 0x01;
        (pre, anchor, w) = _recordOnly(rec, "");
        _expect(pre, anchor, w, pre, SkipReason.NonZeroPadding);
    }

    function test_Identity_returnsPreRoot() public view {
        bytes32 pre = _root();
        _expect(pre, _identity(), _pre(), pre, SkipReason.None);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console} from "forge-std/console.sol";

import {OneStepVerifier} from "../../contracts/dispute/OneStepVerifier.sol";
import {IOneStepVerifier} from "../../contracts/interfaces/IOneStepVerifier.sol";
import {StepAnchor, AnchorKind} from "../../contracts/dispute/DisputeTypes.sol";
import {SkipReason, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {OneStepFixture} from "./utils/OneStepFixture.sol";

/// @title OneStepVerifierTest
/// @notice The one-step of PROTOCOL §8.2–§8.3: deployment, every bad-witness rule rejected with its error,
///         the gas of each step kind, and the engine's step vectors. STF cases are in
///         `OneStepVerifierStf.t.sol`, content-never-reverts fuzzing in `OneStepVerifierFuzz.t.sol`.
contract OneStepVerifierTest is OneStepFixture {
    // ----------------------------------------------------------------------------------------------------
    // Deployment
    // ----------------------------------------------------------------------------------------------------

    function test_Constructor_storesRollup() public view {
        assertEq(verifier.ROLLUP(), rollup, "ROLLUP");
    }

    function test_RevertWhen_RollupIsZero() public {
        vm.expectRevert(IOneStepVerifier.ZeroRollup.selector);
        new OneStepVerifier(address(0));
    }

    // ----------------------------------------------------------------------------------------------------
    // Bad witnesses (§8.2)
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_PreimageDoesNotHashToPreRoot() public {
        bytes memory w = _pre();
        bytes32 actual = _root();
        bytes32 claimed = keccak256("another root");
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.PreimageMismatch.selector, claimed, actual));
        verifier.execute(claimed, _identity(), w);
    }

    function test_RevertWhen_MessageDoesNotHashToAnchor() public {
        (bytes memory input, StepAnchor memory anchor) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
        bytes32 found = anchor.hash;
        anchor.hash = keccak256("stored");
        bytes memory w = bytes.concat(_pre(), input, _openEmptyAccount());
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.MessageMismatch.selector, anchor.hash, found));
        verifier.execute(_root(), anchor, w);
    }

    function test_RevertWhen_MessageKindUnknown() public {
        bytes32 pre = _root();
        for (uint8 kind; kind < 8; kind += 3) {
            // Kinds 0, 3 and 6, anchored to their own hashes: only the kind byte is wrong.
            (bytes memory input, StepAnchor memory anchor) = _message(kind, alice, NEW_ACCOUNT, 0, 1 ether);
            vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnknownMessageKind.selector, kind));
            verifier.execute(pre, anchor, bytes.concat(_pre(), input));
            // The kind is checked before the hash, as the engine's decoder does: a stored hash of a known
            // message does not make an unknown kind a mismatch.
            (, StepAnchor memory known) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
            vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnknownMessageKind.selector, kind));
            verifier.execute(pre, known, bytes.concat(_pre(), input));
        }
    }

    function test_RevertWhen_RecordPositionDiffers() public {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _recordOnly(new bytes(128), "");
        anchor.position = 3;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.RecordPositionMismatch.selector, 3, 2));
        verifier.execute(pre, anchor, w);
    }

    function test_RevertWhen_RecordProofDoesNotFold() public {
        bytes memory rec = _transfer(ALICE_PK, 0, 1, 0, 1 ether, 0, 0);
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) = _recordInput(rec, _header(0, 2));

        // Another record at the same position: the path is the same, the leaf is not.
        bytes memory other = _transfer(ALICE_PK, 0, 1, 0, 2 ether, 0, 0);
        (bytes memory otherInput, StepAnchor memory otherAnchor) = _recordInput(other, _header(0, 2));
        vm.expectRevert(
            abi.encodeWithSelector(IOneStepVerifier.RecordProofMismatch.selector, anchor.hash, otherAnchor.hash)
        );
        verifier.execute(pre, anchor, bytes.concat(_pre(), otherInput));

        // Another header.
        (bytes memory hdrInput, StepAnchor memory hdrAnchor) = _recordInput(rec, _header(0, 1));
        vm.expectRevert(
            abi.encodeWithSelector(IOneStepVerifier.RecordProofMismatch.selector, anchor.hash, hdrAnchor.hash)
        );
        verifier.execute(pre, anchor, bytes.concat(_pre(), hdrInput));

        // A path sibling flipped.
        bytes memory bad = bytes.concat(input);
        bad[4 + 128 + 5 * 32] ^= 0x01;
        vm.expectPartialRevert(IOneStepVerifier.RecordProofMismatch.selector);
        verifier.execute(pre, anchor, bytes.concat(_pre(), bad));
    }

    function test_RevertWhen_OpeningMissing() public {
        // A deposit to a new account needs the empty position.
        (bytes memory input, StepAnchor memory anchor) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.MissingOpening.selector, 0));
        verifier.execute(_root(), anchor, bytes.concat(_pre(), input));

        // A transfer with a fee needs three reads.
        (bytes32 pre, StepAnchor memory tAnchor, bytes memory w) = _transferWithFee();
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.MissingOpening.selector, 2));
        verifier.execute(pre, tAnchor, _cut(w, w.length - ACCOUNT_OPENING));
    }

    function test_RevertWhen_OpeningOfWrongKind() public {
        bytes32 pre = _root();
        // A deposit to a new account given an account read.
        (bytes memory input, StepAnchor memory anchor) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnexpectedOpening.selector, 0, 2, 1));
        verifier.execute(pre, anchor, bytes.concat(_pre(), input, _openAccount(0)));

        // ... given the empty withdrawal position.
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnexpectedOpening.selector, 0, 2, 3));
        verifier.execute(pre, anchor, bytes.concat(_pre(), input, _openEmptyWithdrawal()));

        // A forced withdrawal whose append is given as an empty account position.
        (input, anchor) = _message(2, alice, 0, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnexpectedOpening.selector, 1, 3, 2));
        verifier.execute(pre, anchor, bytes.concat(_pre(), input, _openAccount(0), _openEmptyAccount()));

        // A transfer's read given a kind byte that names no opening.
        (bytes32 tPre, StepAnchor memory tAnchor, bytes memory w) = _transferWithFee();
        w[OPENINGS_AT] = 0x07;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnexpectedOpening.selector, 0, 1, 7));
        verifier.execute(tPre, tAnchor, w);
    }

    function test_RevertWhen_SiblingDoesNotFold() public {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _transferWithFee();
        // Sibling 17 of the second read (bob, index 1).
        bytes memory bad = bytes.concat(w);
        bad[OPENINGS_AT + ACCOUNT_OPENING + 45 + 17 * 32] ^= 0x80;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.BadProof.selector, 1, 1, 1));
        verifier.execute(pre, anchor, bad);

        // A leaf field changed: the balance of the first read (alice, index 0).
        bad = bytes.concat(w);
        bad[OPENINGS_AT + 40] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.BadProof.selector, 0, 1, 0));
        verifier.execute(pre, anchor, bad);
    }

    function test_RevertWhen_ReadIsNotAgainstTheRunningRoot() public {
        // Bob's opening against the pre-root, as if alice's debit had not been written.
        bytes32 pre = _root();
        (bytes memory input, StepAnchor memory anchor) =
            _recordInput(_transfer(ALICE_PK, 0, 1, 0, 3 ether, 0, 0), _header(0, 2));
        bytes memory w = bytes.concat(_pre(), input, _openAccount(0), _openAccount(1));
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.BadProof.selector, 1, 1, 1));
        verifier.execute(pre, anchor, w);
    }

    function test_RevertWhen_EmptyPositionIsNotEmpty() public {
        (bytes memory input, StepAnchor memory anchor) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
        // The siblings of position 5 with a flipped sibling.
        bytes memory opening = _openEmptyAccount();
        opening[1 + 3 * 32] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.BadProof.selector, 0, 2, 5));
        verifier.execute(_root(), anchor, bytes.concat(_pre(), input, opening));

        // Forced withdrawal: the append's siblings at the wrong position (the occupied leaf 0).
        (input, anchor) = _message(2, alice, 0, 0, 1 ether);
        bytes32 pre = _root();
        bytes memory w = bytes.concat(_pre(), input, _openAccount(0));
        withdrawalCount = 0;
        bytes memory wrong = _openEmptyWithdrawal();
        withdrawalCount = 1;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.BadProof.selector, 1, 3, 1));
        verifier.execute(pre, anchor, bytes.concat(w, wrong));
    }

    function test_RevertWhen_BytesLeftOver() public {
        // Identity: `pre` alone.
        bytes32 pre = _root();
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnusedWitnessBytes.selector, 88, 1));
        verifier.execute(pre, _identity(), bytes.concat(_pre(), hex"00"));
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnusedWitnessBytes.selector, 88, ACCOUNT_OPENING));
        verifier.execute(pre, _identity(), bytes.concat(_pre(), _openAccount(0)));

        // A skipped transfer (high s) carrying the openings an applied one would need.
        (bytes32 tPre, StepAnchor memory anchor, bytes memory w) = _transferWithFee();
        bytes memory rec = _transfer(ALICE_PK, 0, 1, 0, 3 ether, 0.1 ether, 0);
        _flipS(rec, 49);
        (bytes memory input, StepAnchor memory highS) = _recordInput(rec, _header(0, 2));
        bytes memory skipped = bytes.concat(_cut(w, INPUT_AT), input, _tail(w, OPENINGS_AT));
        vm.expectRevert(
            abi.encodeWithSelector(IOneStepVerifier.UnusedWitnessBytes.selector, OPENINGS_AT, 3 * ACCOUNT_OPENING)
        );
        verifier.execute(tPre, highS, skipped);

        // A trailing byte after a full transfer.
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnusedWitnessBytes.selector, w.length, 1));
        verifier.execute(tPre, anchor, bytes.concat(w, hex"01"));
    }

    function test_RevertWhen_WitnessTruncated() public {
        // A message input cut short.
        bytes32 mPre = _root();
        (bytes memory input, StepAnchor memory mAnchor) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
        bytes memory m = bytes.concat(_pre(), input);
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, 120, 153));
        verifier.execute(mPre, mAnchor, _cut(m, 120));
        // An empty-position opening cut short.
        bytes memory mw = bytes.concat(m, _openEmptyAccount());
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, 200, 153 + EMPTY_OPENING));
        verifier.execute(mPre, mAnchor, _cut(mw, 200));

        // A transfer with a fee cut inside each of its fields.
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _transferWithFee();
        uint256 end = w.length;
        assertEq(end, OPENINGS_AT + 3 * ACCOUNT_OPENING, "witness length");
        uint256[14] memory cuts = [uint256(0), 1, 87, 88, 300, 508, 509, 516, 518, 1000, 1585, 1587, 3000, end - 1];
        for (uint256 i; i < cuts.length; ++i) {
            uint256 c = cuts[i];
            vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, c, _fieldEnd(c)));
            verifier.execute(pre, anchor, _cut(w, c));
        }
    }

    /// @dev Any prefix of a valid witness is rejected: truncated inside a field, or missing an opening at a
    ///      boundary between openings.
    function testFuzz_TruncatedWitnessReverts(uint256 cut) public {
        (bytes32 pre, StepAnchor memory anchor, bytes memory w) = _transferWithFee();
        cut = bound(cut, 0, w.length - 1);
        bool boundary = cut >= OPENINGS_AT && (cut - OPENINGS_AT) % ACCOUNT_OPENING == 0;
        if (boundary) {
            uint256 position = (cut - OPENINGS_AT) / ACCOUNT_OPENING;
            vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.MissingOpening.selector, position));
        } else {
            vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, cut, _fieldEnd(cut)));
        }
        verifier.execute(pre, anchor, _cut(w, cut));
    }

    function test_RevertWhen_MessagesConsumedOverflows() public {
        msgsConsumed = type(uint64).max;
        (bytes memory input, StepAnchor memory anchor) = _message(1, alice, NEW_ACCOUNT, 0, 1 ether);
        bytes memory w = bytes.concat(_pre(), input, _openEmptyAccount());
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.CounterOverflow.selector, type(uint64).max));
        verifier.execute(_root(), anchor, w);
    }

    // ----------------------------------------------------------------------------------------------------
    // Gas
    // ----------------------------------------------------------------------------------------------------

    /// @dev Measures each step kind; the worst case (a transfer with a fee: three reads, six folds) must
    ///      fit a transaction (2^24) and the 200k budget of a dispute step.
    function test_Gas_stepKinds() public {
        bytes32 pre = _root();
        bytes memory pre88 = _pre();
        _measure("identity", pre, _identity(), pre88);

        (bytes32 p, StepAnchor memory a, bytes memory w) = _recordOnly(new bytes(128), "");
        _measure("padding record", p, a, w);
        (p, a, w) = _recordOnly(_transferRaw(0, 1, 0, 1, 0, 0, bytes32(0), bytes32(0), 27), _header(0, 2));
        _measure("transfer skipped on form", p, a, w);

        (bytes memory input, StepAnchor memory anchor) = _message(1, carol, 4, 1, 42);
        _measure("deposit to existing", pre, anchor, bytes.concat(pre88, input, _openAccount(4)));
        (input, anchor) = _message(1, carol, NEW_ACCOUNT, 1, 42);
        _measure("deposit to new account", pre, anchor, bytes.concat(pre88, input, _openEmptyAccount()));
        (input, anchor) = _message(1, carol, 4, 0, 42);
        _measure(
            "deposit of other token", pre, anchor, bytes.concat(pre88, input, _openAccount(4), _openEmptyAccount())
        );

        (input, anchor) = _message(2, alice, 9, 1, 600);
        _measure("forced withdrawal skipped (no account)", pre, anchor, bytes.concat(pre88, input));
        (input, anchor) = _message(2, alice, 3, 1, 600);
        w = bytes.concat(pre88, input, _openAccount(3));
        accounts[3].balance -= 600;
        _measure("forced withdrawal", pre, anchor, bytes.concat(w, _openEmptyWithdrawal()));
        accounts[3].balance += 600;

        (input, anchor) = _recordInput(_withdraw(ALICE_PK, 0, dave, 2 ether, 0, 0), _header(0, 2));
        w = bytes.concat(pre88, input, _openAccount(0));
        _debit(0, 2 ether);
        _measure("withdraw without fee", pre, anchor, bytes.concat(w, _openEmptyWithdrawal()));
        _credit(0, 2 ether);
        accounts[0].nonce = 0;

        (input, anchor) = _recordInput(_transfer(MALLORY_PK, 0, 1, 0, 1 ether, 0, 0), _header(0, 2));
        _measure("transfer skipped on signer (one read)", pre, anchor, bytes.concat(pre88, input, _openAccount(0)));
        (input, anchor) = _recordInput(_transfer(ALICE_PK, 0, 1, 0, 1 ether, 0, 0), _header(0, 2));
        w = bytes.concat(pre88, input, _openAccount(0));
        _debit(0, 1 ether);
        w = bytes.concat(w, _openAccount(1));
        _measure("transfer without fee", pre, anchor, w);
        _credit(0, 1 ether);
        accounts[0].nonce = 0;

        (input, anchor) = _recordInput(_withdraw(ALICE_PK, 0, dave, 2 ether, 0.01 ether, 0), _header(0, 2));
        w = bytes.concat(pre88, input, _openAccount(0));
        _debit(0, 2.01 ether);
        w = bytes.concat(w, _openAccount(2));
        _credit(2, 0.01 ether);
        _measure("withdraw with fee", pre, anchor, bytes.concat(w, _openEmptyWithdrawal()));
        _credit(0, 2.01 ether);
        accounts[0].nonce = 0;
        accounts[2].balance -= 0.01 ether;

        (p, a, w) = _transferWithFee();
        (uint256 exec, uint256 txGas) = _measure("transfer with fee (worst case)", p, a, w);
        assertLt(exec, 1 << 24, "worst case execution fits a transaction");
        assertLt(txGas, 200_000, "worst case step transaction within 200k");
    }

    /// @dev Execution gas of the call (the callee's, as `vm.lastCallGas` reports it), and an estimate of a
    ///      transaction carrying the same calldata: 21000 + max(calldata + execution, EIP-7623 floor).
    function _measure(string memory label, bytes32 pre, StepAnchor memory anchor, bytes memory w)
        internal
        view
        returns (uint256 exec, uint256 txGas)
    {
        bytes memory data = abi.encodeCall(IOneStepVerifier.execute, (pre, anchor, w));
        uint256 zeros;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) ++zeros;
        }
        uint256 nonZeros = data.length - zeros;
        verifier.execute(pre, anchor, w);
        exec = vm.lastCallGas().gasTotalUsed;
        uint256 standard = 4 * zeros + 16 * nonZeros + exec;
        uint256 floor = 10 * (zeros + 4 * nonZeros);
        txGas = 21_000 + (standard > floor ? standard : floor);
        console.log(string.concat(label, ": witness bytes"), w.length);
        console.log("  execution gas", exec);
        console.log("  transaction gas (estimate)", txGas);
    }

    // ----------------------------------------------------------------------------------------------------
    // Shared vectors (§13)
    // ----------------------------------------------------------------------------------------------------

    /// @dev Every `steps[]` entry of the engine's vectors: the same post-root and outcome on chain. Fails
    ///      (never skips) while the file has no steps.
    function test_Vectors_steps() public {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/vectors/protocol.json"));
        uint256 n;
        while (vm.keyExistsJson(json, _at(n, ""))) ++n;
        assertGt(n, 0, "vectors/protocol.json has no steps[]");
        for (uint256 i; i < n; ++i) {
            _checkVectorStep(json, i);
        }
    }

    function _checkVectorStep(string memory json, uint256 i) internal {
        string memory label = string.concat("steps[", vm.toString(i), "] ", vm.parseJsonString(json, _at(i, ".name")));
        vm.chainId(vm.parseJsonUint(json, _at(i, ".chainId")));
        OneStepVerifier v = new OneStepVerifier(vm.parseJsonAddress(json, _at(i, ".rollup")));
        string memory kind = vm.parseJsonString(json, _at(i, ".anchorKind"));
        assertTrue(
            _eq(kind, "message") || _eq(kind, "record") || _eq(kind, "identity"), string.concat(label, ": anchorKind")
        );
        StepAnchor memory anchor = StepAnchor({
            kind: _eq(kind, "message")
                ? AnchorKind.Message
                : _eq(kind, "record") ? AnchorKind.Record : AnchorKind.Identity,
            hash: vm.parseJsonBytes32(json, _at(i, ".anchorHash")),
            position: uint32(vm.parseJsonUint(json, _at(i, ".anchorPosition")))
        });
        (bytes32 postRoot, SkipReason reason) = v.execute(
            vm.parseJsonBytes32(json, _at(i, ".preRoot")), anchor, vm.parseJsonBytes(json, _at(i, ".witness"))
        );
        assertEq(postRoot, vm.parseJsonBytes32(json, _at(i, ".postRoot")), string.concat(label, ": postRoot"));
        assertEq(_outcome(reason), vm.parseJsonString(json, _at(i, ".outcome")), string.concat(label, ": outcome"));
    }

    function _at(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".steps[", vm.toString(i), "]", field);
    }

    function _eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    /// @dev `"applied"` or the §7.6 name, matched member by member (independent of the enum's numbering).
    function _outcome(SkipReason r) internal pure returns (string memory) {
        if (r == SkipReason.None) return "applied";
        if (r == SkipReason.UnknownKind) return "UnknownKind";
        if (r == SkipReason.NonZeroPadding) return "NonZeroPadding";
        if (r == SkipReason.SignatureLength) return "SignatureLength";
        if (r == SkipReason.SignatureV) return "SignatureV";
        if (r == SkipReason.SignatureR) return "SignatureR";
        if (r == SkipReason.SignatureS) return "SignatureS";
        if (r == SkipReason.RecoveryFailed) return "RecoveryFailed";
        if (r == SkipReason.WrongSigner) return "WrongSigner";
        if (r == SkipReason.NoSuchAccount) return "NoSuchAccount";
        if (r == SkipReason.TokenMismatch) return "TokenMismatch";
        if (r == SkipReason.BadNonce) return "BadNonce";
        if (r == SkipReason.NonceExhausted) return "NonceExhausted";
        if (r == SkipReason.Overdraft) return "Overdraft";
        if (r == SkipReason.CreditOverflow) return "CreditOverflow";
        if (r == SkipReason.ZeroAmount) return "ZeroAmount";
        if (r == SkipReason.ZeroRecipient) return "ZeroRecipient";
        if (r == SkipReason.WithdrawalsFull) return "WithdrawalsFull";
        if (r == SkipReason.NotOwner) return "NotOwner";
        return "unnamed reason";
    }

    /// @dev Where the field containing byte `c` of the transfer-with-fee witness ends.
    function _fieldEnd(uint256 c) internal pure returns (uint256) {
        if (c < INPUT_AT) return INPUT_AT;
        if (c < INPUT_AT + 421) return INPUT_AT + 421;
        if (c < OPENINGS_AT) return OPENINGS_AT;
        return OPENINGS_AT + ((c - OPENINGS_AT) / ACCOUNT_OPENING + 1) * ACCOUNT_OPENING;
    }
}

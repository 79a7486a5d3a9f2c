// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {OneStepVerifier} from "../../../contracts/dispute/OneStepVerifier.sol";
import {StepAnchor, AnchorKind} from "../../../contracts/dispute/DisputeTypes.sol";
import {LibEIP712} from "../../../contracts/libraries/LibEIP712.sol";
import {AccountLeaf, SkipReason} from "../../../contracts/libraries/Types.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";

/// @title StepBuilder
/// @notice Test-only: a model L2 state (account leaves, withdrawal leaves, counters) and builders for one-step
///         witnesses over it, written from PROTOCOL §8.2 with `abi.encodePacked` and MerkleBuilder.
/// @dev A test builds a witness the way the engine records one: open an account against the model, change
///      the model as the STF would write, open the next, and so on. The model's root after the last write is
///      the expected post-root of an applied step; a skipped step's is the pre-root saved first.
abstract contract StepBuilder is Test {
    /// @dev secp256k1 group order.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint64 internal constant QUEUED_AT = 1_700_000_000;

    address internal rollup = makeAddr("rollup");
    OneStepVerifier internal verifier;

    AccountLeaf[] internal accounts;
    bytes32[] internal withdrawals;
    uint64 internal nextAccountIndex;
    uint64 internal msgsConsumed;
    uint64 internal withdrawalCount;

    function setUp() public virtual {
        verifier = new OneStepVerifier(rollup);
    }

    // ----------------------------------------------------------------------------------------------------
    // Model state
    // ----------------------------------------------------------------------------------------------------

    /// @dev Appends account `(owner, token, balance, nonce)` at `nextAccountIndex` and returns its index.
    function _addAccount(address owner, uint32 token, uint128 balance, uint32 nonce) internal returns (uint32 i) {
        i = uint32(accounts.length);
        accounts.push(AccountLeaf(owner, token, balance, nonce));
        nextAccountIndex = uint64(accounts.length);
    }

    /// @dev Appends withdrawal leaf `(withdrawalCount, recipient, token, amount)`.
    function _addWithdrawal(address recipient, uint32 token, uint128 amount) internal {
        withdrawals.push(keccak256(abi.encodePacked(bytes1(0x02), uint32(withdrawalCount), recipient, token, amount)));
        withdrawalCount += 1;
    }

    function _accountHash(AccountLeaf memory a) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), a.owner, a.token, a.balance, a.nonce));
    }

    function _accountHashes() internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](accounts.length);
        for (uint256 i; i < leaves.length; ++i) {
            leaves[i] = _accountHash(accounts[i]);
        }
    }

    /// @dev The 88-byte `pre` of the model.
    function _pre() internal view returns (bytes memory) {
        return abi.encodePacked(
            MerkleBuilder.stateRoot(_accountHashes()),
            MerkleBuilder.stateRoot(withdrawals),
            nextAccountIndex,
            msgsConsumed,
            withdrawalCount
        );
    }

    /// @dev The model's state root.
    function _root() internal view returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x04), _pre()));
    }

    // ----------------------------------------------------------------------------------------------------
    // Openings (§8.2)
    // ----------------------------------------------------------------------------------------------------

    function _packed(bytes32[] memory proof) internal pure returns (bytes memory out) {
        for (uint256 k; k < proof.length; ++k) {
            out = bytes.concat(out, proof[k]);
        }
    }

    /// @dev `0x01 ‖ leaf ‖ siblings` of account `i` in the model as it is now.
    function _openAccount(uint32 i) internal view returns (bytes memory) {
        AccountLeaf memory a = accounts[i];
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(_accountHashes(), i);
        return abi.encodePacked(uint8(1), a.owner, a.token, a.balance, a.nonce, _packed(proof));
    }

    /// @dev `0x02 ‖ siblings` of the empty position `nextAccountIndex`.
    function _openEmptyAccount() internal view returns (bytes memory) {
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(_accountHashes(), nextAccountIndex);
        return abi.encodePacked(uint8(2), _packed(proof));
    }

    /// @dev `0x03 ‖ siblings` of the empty position `withdrawalCount`.
    function _openEmptyWithdrawal() internal view returns (bytes memory) {
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(withdrawals, withdrawalCount);
        return abi.encodePacked(uint8(3), _packed(proof));
    }

    // ----------------------------------------------------------------------------------------------------
    // Inputs and anchors
    // ----------------------------------------------------------------------------------------------------

    /// @dev A message input (queue index `msgsConsumed`) and its message anchor.
    function _message(uint8 kind, address sender, uint64 target, uint32 token, uint128 amount)
        internal
        view
        returns (bytes memory input, StepAnchor memory anchor)
    {
        input = abi.encodePacked(msgsConsumed, kind, sender, target, token, amount, QUEUED_AT);
        anchor = StepAnchor(AnchorKind.Message, keccak256(abi.encodePacked(bytes1(0x05), input)), 0);
    }

    /// @dev A record input for `rec` at position 2 of a batch (two transfers of filler before it) under
    ///      `header`, and its record anchor.
    function _recordInput(bytes memory rec, bytes memory header)
        internal
        pure
        returns (bytes memory input, StepAnchor memory anchor)
    {
        bytes memory filler = abi.encodePacked(uint8(1), keccak256("a"), keccak256("b"), keccak256("c"), bytes31(0));
        (bytes32 recordsRoot, bytes32[] memory path) = MerkleBuilder.dataProof(abi.encodePacked(filler, filler, rec), 2);
        bytes32 dataRoot =
            keccak256(abi.encodePacked(bytes1(0x09), keccak256(abi.encodePacked(bytes1(0x08), header)), recordsRoot));
        input = abi.encodePacked(uint32(2), rec, _packed(path), uint8(header.length), header);
        anchor = StepAnchor(AnchorKind.Record, dataRoot, 2);
    }

    /// @dev A header naming `feeTo` for `token` only.
    function _header(uint32 token, uint32 feeTo) internal pure returns (bytes memory) {
        return abi.encodePacked(token, feeTo);
    }

    function _identity() internal pure returns (StepAnchor memory) {
        return StepAnchor(AnchorKind.Identity, bytes32(0), 0);
    }

    // ----------------------------------------------------------------------------------------------------
    // Records (§6) and signatures (§5)
    // ----------------------------------------------------------------------------------------------------

    function _domain() internal view returns (bytes32) {
        return LibEIP712.domainSeparator(block.chainid, rollup);
    }

    /// @dev A transfer record with an explicit signature.
    function _transferRaw(
        uint32 from,
        uint32 to,
        uint32 token,
        uint128 amount,
        uint128 fee,
        uint32 nonce,
        bytes32 r,
        bytes32 s,
        uint8 v
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), from, to, token, amount, fee, nonce, r, s, v, bytes14(0));
    }

    /// @dev A transfer record signed by `pk`.
    function _transfer(uint256 pk, uint32 from, uint32 to, uint32 token, uint128 amount, uint128 fee, uint32 nonce)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = LibEIP712.digest(_domain(), LibEIP712.transferHash(from, to, token, amount, fee, nonce));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return _transferRaw(from, to, token, amount, fee, nonce, r, s, v);
    }

    /// @dev A withdraw record signed by `pk`.
    function _withdraw(uint256 pk, uint32 from, address recipient, uint128 amount, uint128 fee, uint32 nonce)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = LibEIP712.digest(_domain(), LibEIP712.withdrawHash(from, recipient, amount, fee, nonce));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(uint8(2), from, recipient, amount, fee, nonce, r, s, v, bytes2(0));
    }

    // ----------------------------------------------------------------------------------------------------
    // Running
    // ----------------------------------------------------------------------------------------------------

    /// @dev Runs the verifier and checks the post-root and reason.
    function _expect(
        bytes32 preRoot,
        StepAnchor memory anchor,
        bytes memory witness,
        bytes32 wantRoot,
        SkipReason wantReason
    ) internal view {
        (bytes32 postRoot, SkipReason reason) = verifier.execute(preRoot, anchor, witness);
        assertEq(uint8(reason), uint8(wantReason), "reason");
        assertEq(postRoot, wantRoot, "postRoot");
    }

    /// @dev Whether the verifier accepts the witness (returns) or rejects it (reverts).
    function _accepts(bytes32 preRoot, StepAnchor memory anchor, bytes memory witness)
        internal
        view
        returns (bool ok, bytes32 postRoot, SkipReason reason, bytes memory err)
    {
        try verifier.execute(preRoot, anchor, witness) returns (bytes32 root, SkipReason r) {
            return (true, root, r, "");
        } catch (bytes memory e) {
            return (false, bytes32(0), SkipReason.None, e);
        }
    }
}

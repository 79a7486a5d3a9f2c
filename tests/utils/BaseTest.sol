// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Rollup} from "../../contracts/L1/Rollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Bridge} from "../../contracts/L1/Bridge.sol";
import {OneStepVerifier} from "../../contracts/dispute/OneStepVerifier.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {Deploy} from "../../script/Deploy.s.sol";
import {DemoToken} from "../../contracts/mocks/DemoToken.sol";
import {StatePreimage, Batch, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {MerkleBuilder} from "./MerkleBuilder.sol";
import {SafeMultisig} from "./SafeMultisig.sol";

/// @title BaseTest
/// @notice Deploys the suite with the deploy script's own `deploy` (Rollup, Bridge, verifier, DisputeGame),
///         stakes the sequencer, and offers helpers to commit and finalize batches and to build records.
abstract contract BaseTest is SafeMultisig {
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant STAKE = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.1 ether;
    uint64 internal constant CLOCK = 1 hours;
    bytes32 internal constant TRACE_ROOT = keccak256("trace");
    uint64 internal constant DEADLINE = 1 days;
    uint64 internal constant PAUSE = 8 hours;
    uint64 internal constant COOLDOWN = 1 days;

    address internal sequencer = makeAddr("sequencer");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    /// @dev The guardian: a real 3-of-5 Safe multisig, deployed in `setUp` (the way production rollups hold
    ///      their security councils).
    address internal guardian;

    Rollup internal rollup;
    Bridge internal bridge;
    OneStepVerifier internal verifier;
    DisputeGame internal dispute;
    DemoToken internal token;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        guardian = _deploySafe();
        Deploy.Deployment memory d = _deploy(sequencer);
        (rollup, bridge, verifier, dispute) = (d.rollup, d.bridge, d.verifier, d.dispute);
        token = new DemoToken("Demo", "DEMO");
        vm.deal(sequencer, 1_000 ether);
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1_000 ether);
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
    }

    /// @dev A whole suite with this test's parameters and `sequencer_`, through the deploy script.
    function _deploy(address sequencer_) internal returns (Deploy.Deployment memory) {
        Deploy script = new Deploy();
        return script.deploy(address(script), _params(sequencer_));
    }

    /// @dev This test's deploy parameters with `sequencer_`.
    function _params(address sequencer_) internal view returns (Deploy.Params memory) {
        return Deploy.Params(sequencer_, WINDOW, STAKE, CHALLENGE_BOND, CLOCK, guardian, DEADLINE, PAUSE, COOLDOWN);
    }

    /// @dev A Rollup constructor config with this test's parameters and the given wiring.
    function _config(address bridge_, address dispute_, address sequencer_)
        internal
        view
        returns (IRollup.Config memory)
    {
        return IRollup.Config(
            bridge_, dispute_, sequencer_, guardian, WINDOW, STAKE, CHALLENGE_BOND, DEADLINE, PAUSE, COOLDOWN
        );
    }

    /// @dev The Rollup of a fresh suite whose sequencer is `sequencer_` (not staked).
    function _rollupFor(address sequencer_) internal returns (Rollup) {
        return _deploy(sequencer_).rollup;
    }

    // ----------------------------------------------------------------------------------------------------
    // States and batches
    // ----------------------------------------------------------------------------------------------------

    /// @dev Funds the bridge as withdrawal tests need it: alice deposits 10 ether and 1000 DEMO (token 1).
    function _fundBridge() internal {
        vm.prank(alice);
        bridge.depositETH{value: 10 ether}(NEW_ACCOUNT);
        token.mint(alice, 1000);
        vm.startPrank(alice);
        token.approve(address(bridge), 1000);
        bridge.depositERC20(address(token), 1000, NEW_ACCOUNT);
        vm.stopPrank();
    }

    function _emptyRoot() internal pure returns (bytes32) {
        return MerkleBuilder.z(32);
    }

    /// @dev A post-state with an empty account tree, the given withdrawal tree root and counters.
    function _post(bytes32 withdrawalsRoot, uint64 consumed, uint64 withdrawalCount)
        internal
        pure
        returns (StatePreimage memory)
    {
        return StatePreimage({
            accountsRoot: MerkleBuilder.z(32),
            withdrawalsRoot: withdrawalsRoot,
            nextAccountIndex: 0,
            msgsConsumed: consumed,
            withdrawalCount: withdrawalCount
        });
    }

    /// @dev Commits a batch on the tip as the sequencer, calling directly (origin = sender).
    function _commit(bytes memory header, bytes memory records, StatePreimage memory post) internal returns (uint64) {
        uint64 parent = rollup.tip();
        vm.prank(sequencer, sequencer);
        return rollup.commitBatch(parent, header, records, post, TRACE_ROOT);
    }

    /// @dev Commits a batch of `n` realistic transfer records consuming no messages.
    function _commitRecords(uint256 n) internal returns (uint64) {
        uint64 consumed = rollup.batch(rollup.tip()).msgsAfter;
        return _commit("", _records(n, n), _post(_emptyRoot(), consumed, 0));
    }

    /// @dev Warps past batch `index`'s window and finalizes it.
    function _finalize(uint64 index) internal {
        Batch memory b = rollup.batch(index);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < b.commitTime + WINDOW) vm.warp(b.commitTime + WINDOW);
        rollup.finalizeBatch(index);
    }

    // ----------------------------------------------------------------------------------------------------
    // Records
    // ----------------------------------------------------------------------------------------------------

    /// @dev A transfer record with realistic content: small account indices, amounts of a few ether, a
    ///      fee, and a random-looking nonzero signature.
    function _transferRecord(uint256 seed) internal pure returns (bytes memory) {
        bytes32 h = keccak256(abi.encode("record", seed));
        bytes32 r = keccak256(abi.encode(h, 1));
        bytes32 s = keccak256(abi.encode(h, 2)) >> 1; // below n/2 like a real low-s signature
        return abi.encodePacked(
            uint8(1),
            uint32(uint256(h) % 100_000),
            uint32(uint256(h >> 32) % 100_000),
            uint32(uint256(h >> 64) % 4),
            uint128(uint256(h >> 96) % 10 ether),
            uint128(uint256(h >> 160) % 1e15),
            uint32(uint256(h >> 224) % 1000),
            r,
            s,
            uint8(27 + (uint256(h) & 1)),
            bytes14(0)
        );
    }

    /// @dev `n` realistic transfer records.
    function _records(uint256 n, uint256 seed) internal pure returns (bytes memory out) {
        out = new bytes(n * 128);
        for (uint256 i; i < n; ++i) {
            bytes memory rec = _transferRecord(seed * 1_000_003 + i);
            assembly ("memory-safe") {
                mcopy(add(add(out, 0x20), mul(i, 128)), add(rec, 0x20), 128)
            }
        }
    }
}

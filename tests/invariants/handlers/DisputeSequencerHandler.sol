// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {Batch, StatePreimage} from "../../../contracts/libraries/Types.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";
import {TraceTree} from "../../dispute/utils/TraceTree.sol";

/// @title DisputeSequencerHandler
/// @notice Invariant-test actor for the dispute suite: the sequencer committing batches of padding records
///         on the tip, honest (every leaf the parent's root, the post-state the parent's) or dishonest (random
///         leaves from a random step on and a random state root), keepers finalizing, the sequencer staking,
///         unstaking and withdrawing its credit, and time passing. Keeps each committed batch's claimed trace
///         tree and post-state by (index, epoch), the preimage of every root a step may start from, and the
///         state root of every batch as it finalized.
contract DisputeSequencerHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant MAX_RECORDS_PER_BATCH = 20;

    Rollup public immutable rollup;
    address public immutable sequencer;

    mapping(bytes32 key => bytes32[]) internal _tree;
    mapping(bytes32 key => StatePreimage) internal _post;
    mapping(bytes32 key => uint256) public recordCount;
    mapping(bytes32 key => bool) public dishonestBatch;
    mapping(bytes32 root => bytes) internal _preOf;

    /// @dev State root and epoch of each batch when it finalized.
    mapping(uint64 index => bytes32) public finalRoot;
    mapping(uint64 index => uint32) public finalEpoch;
    uint64 public maxFinalizedSeen;

    uint256 public commits;
    uint256 public dishonestCommits;
    uint256 public finalizations;

    constructor(Rollup rollup_, address sequencer_) {
        rollup = rollup_;
        sequencer = sequencer_;
        StatePreimage memory genesis = StatePreimage(MerkleBuilder.z(32), MerkleBuilder.z(32), 0, 0, 0);
        bytes32 key = batchKey(0, 0);
        _post[key] = genesis;
        _remember(genesis);
    }

    function batchKey(uint64 index, uint32 epoch) public pure returns (bytes32) {
        return keccak256(abi.encode(index, epoch));
    }

    function tree(uint64 index, uint32 epoch) external view returns (bytes32[] memory) {
        return _tree[batchKey(index, epoch)];
    }

    function preOf(bytes32 root) external view returns (bytes memory) {
        return _preOf[root];
    }

    // ----------------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------------

    function commit(uint256 nSeed, bool dishonest, uint256 faultSeed, uint256 rootSeed) external {
        uint64 parent = rollup.tip();
        Batch memory p = rollup.batch(parent);
        StatePreimage memory parentPost = _post[batchKey(parent, p.epoch)];
        bytes32 parentRoot = _rootOf(parentPost);
        require(parentRoot == p.stateRoot, "ghost: parent post-state");

        uint256 n = _bound(nSeed, 1, MAX_RECORDS_PER_BATCH);
        uint256 t = 1;
        while (t < n) {
            t <<= 1;
        }
        bytes32[] memory leaves = TraceTree.filled(parentRoot, t);
        StatePreimage memory post = parentPost;
        if (dishonest) {
            uint256 fault = _bound(faultSeed, 0, t); // t: the trace is honest, only the state root is wrong
            for (uint256 j = fault; j < t; ++j) {
                leaves[j] = _remember(_randomPost(keccak256(abi.encode(rootSeed, j))));
            }
            post = _randomPost(keccak256(abi.encode(rootSeed, "post")));
            _remember(post);
        }
        bytes32[] memory tr = TraceTree.build(leaves);

        uint256 staked = rollup.stakeOf(sequencer);
        if (staked < rollup.STAKE()) {
            uint256 top = rollup.STAKE() - staked;
            vm.deal(sequencer, sequencer.balance + top);
            vm.prank(sequencer);
            rollup.stake{value: top}();
        }
        vm.prank(sequencer, sequencer);
        uint64 index = rollup.commitBatch(parent, "", new bytes(n * 128), post, TraceTree.root(tr));
        bytes32 key = batchKey(index, rollup.batch(index).epoch);
        _tree[key] = tr;
        _post[key] = post;
        recordCount[key] = n;
        dishonestBatch[key] = dishonest;
        ++commits;
        if (dishonest) ++dishonestCommits;
    }

    function finalize() external {
        uint64 next = rollup.lastFinalized() + 1;
        try rollup.finalizeBatch(next) {
            Batch memory b = rollup.batch(next);
            finalRoot[next] = b.stateRoot;
            finalEpoch[next] = b.epoch;
            maxFinalizedSeen = next;
            ++finalizations;
        } catch {}
    }

    function wait(uint256 secs) external {
        vm.warp(block.timestamp + _bound(secs, 1, 12 hours));
    }

    function stake(uint256 amount) external {
        amount = _bound(amount, 1, 2 * rollup.STAKE());
        vm.deal(sequencer, sequencer.balance + amount);
        vm.prank(sequencer);
        rollup.stake{value: amount}();
    }

    function unstake() external {
        vm.prank(sequencer);
        try rollup.unstake() {} catch {}
    }

    function withdrawCredit() external {
        vm.prank(sequencer);
        try rollup.withdrawCredit(payable(sequencer)) {} catch {}
    }

    // ----------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------

    function _randomPost(bytes32 seed) internal pure returns (StatePreimage memory) {
        return StatePreimage(MerkleBuilder.z(32), seed, 0, 0, 0);
    }

    function _rootOf(StatePreimage memory p) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(0x04), p.accountsRoot, p.withdrawalsRoot, p.nextAccountIndex, p.msgsConsumed, p.withdrawalCount
            )
        );
    }

    function _remember(StatePreimage memory p) internal returns (bytes32 root) {
        bytes memory pre =
            abi.encodePacked(p.accountsRoot, p.withdrawalsRoot, p.nextAccountIndex, p.msgsConsumed, p.withdrawalCount);
        root = keccak256(abi.encodePacked(bytes1(0x04), pre));
        _preOf[root] = pre;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {Bridge} from "../../../contracts/L1/Bridge.sol";
import {IBridge} from "../../../contracts/interfaces/IBridge.sol";
import {LibHash} from "../../../contracts/libraries/LibHash.sol";
import {StatePreimage, WithdrawalLeaf} from "../../../contracts/libraries/Types.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";
import {UserHandler} from "./UserHandler.sol";

/// @title OperatorHandler
/// @notice Invariant-test actor: the sequencer committing batches (whose withdrawal trees pay out only value
///         that arrived, so payouts never need more than the bridge holds), keepers finalizing batches and
///         withdrawals (repeats included), and the sequencer withdrawing its bonds.
contract OperatorHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant MAX_LEAVES = 24;

    Rollup public immutable rollup;
    Bridge public immutable bridge;
    UserHandler public immutable users;
    address public immutable sequencer;

    WithdrawalLeaf[] internal _leaves;
    /// @dev Per batch: its post-state and how many withdrawal leaves it holds.
    mapping(uint64 => StatePreimage) internal _post;
    mapping(uint64 => uint256) public leafCountAt;
    mapping(uint64 => bytes32) public committedRoot;
    /// @dev Value promised to withdrawal leaves, and paid, per token id.
    mapping(uint32 => uint256) public allocated;
    mapping(uint32 => uint256) public paidOut;
    mapping(uint32 => uint256) public timesPaid;
    uint64 public maxFinalizedSeen;

    constructor(Rollup rollup_, Bridge bridge_, UserHandler users_, address sequencer_) {
        rollup = rollup_;
        bridge = bridge_;
        users = users_;
        sequencer = sequencer_;
    }

    function leafCount() external view returns (uint256) {
        return _leaves.length;
    }

    function commit(uint256 consumeSeed, uint256 nRecords, uint256 newLeaves, uint256 amountSeed) external {
        uint64 tip = rollup.tip();
        uint64 before = rollup.batch(tip).msgsAfter;
        uint64 queued = bridge.messageCount();
        uint256 maxM = queued - before > 512 ? 512 : queued - before;
        uint64 msgsAfter = before + uint64(bound(consumeSeed, 0, maxM));
        nRecords = bound(nRecords, 0, 4);
        if (msgsAfter == before && nRecords == 0) nRecords = 1;

        newLeaves = bound(newLeaves, 0, 2);
        for (uint256 i; i < newLeaves && _leaves.length < MAX_LEAVES; ++i) {
            _addLeaf(uint256(keccak256(abi.encode(amountSeed, i))));
        }

        bytes32[] memory hashes = _hashes(_leaves.length);
        StatePreimage memory post = StatePreimage({
            accountsRoot: keccak256(abi.encode("accounts", tip)),
            withdrawalsRoot: MerkleBuilder.stateRoot(hashes),
            nextAccountIndex: tip,
            msgsConsumed: msgsAfter,
            withdrawalCount: uint64(_leaves.length)
        });
        bytes memory records = new bytes(nRecords * 128);
        for (uint256 i; i < nRecords; ++i) {
            records[i * 128] = 0x01;
            // forge-lint: disable-next-line(unsafe-typecast)
            records[i * 128 + 127] = bytes1(uint8(i + 1)); // malformed, fine: the Rollup does not judge
        }
        vm.prank(sequencer, sequencer);
        uint64 index = rollup.commitBatch(tip, "", records, post, keccak256(abi.encode(tip)));
        _post[index] = post;
        leafCountAt[index] = _leaves.length;
        committedRoot[index] = LibHash.stateRoot(post);
    }

    function finalize(uint256 waitSeed) external {
        vm.warp(block.timestamp + bound(waitSeed, 0, 2 * rollup.WINDOW()));
        uint64 next = rollup.lastFinalized() + 1;
        if (next > rollup.tip()) return;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < uint256(rollup.batch(next).commitTime) + rollup.WINDOW()) return;
        rollup.finalizeBatch(next);
        maxFinalizedSeen = next;
    }

    function finalizeWithdrawal(uint256 leafSeed, uint256 batchSeed) external {
        uint64 last = rollup.lastFinalized();
        if (last == 0 || _leaves.length == 0) return;
        uint64 b = uint64(bound(batchSeed, 1, last));
        uint256 count = leafCountAt[b];
        if (count == 0) return;
        uint256 i = bound(leafSeed, 0, count - 1);
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(_hashes(count), i);
        WithdrawalLeaf memory w = _leaves[i];
        bool wasPaid = bridge.paid(w.index);
        try bridge.finalizeWithdrawal(b, _post[b], w, proof) {
            timesPaid[w.index] += 1;
            paidOut[w.token] += w.amount;
        } catch (bytes memory err) {
            // The only acceptable failure of a valid proof against a final batch is a repeat.
            require(wasPaid, "valid withdrawal failed");
            require(keccak256(err) == keccak256(abi.encodeWithSelector(IBridge.AlreadyPaid.selector, w.index)));
        }
    }

    function _addLeaf(uint256 seed) internal {
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 tokenId = uint32(seed % bridge.tokenCount());
        uint256 free = users.arrived(tokenId) - allocated[tokenId];
        if (free == 0) return;
        uint128 amount = uint128(bound(seed >> 32, 1, free));
        allocated[tokenId] += amount;
        address recipient = address(uint160(0xB000 + _leaves.length));
        _leaves.push(WithdrawalLeaf(uint32(_leaves.length), recipient, tokenId, amount));
    }

    function _hashes(uint256 count) internal view returns (bytes32[] memory hashes) {
        hashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            hashes[i] = LibHash.withdrawalLeaf(_leaves[i]);
        }
    }
}

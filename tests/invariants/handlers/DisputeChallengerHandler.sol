// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {DisputeGame} from "../../../contracts/dispute/DisputeGame.sol";
import {Game, GameStatus, Position, Turn} from "../../../contracts/dispute/DisputeTypes.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";
import {TraceTree} from "../../dispute/utils/TraceTree.sol";
import {DisputeSequencerHandler} from "./DisputeSequencerHandler.sol";

/// @title DisputeChallengerHandler
/// @notice Invariant-test actor for the dispute suite: several challengers opening games on random pending
///         batches, anyone revealing from the committed tree, challengers picking random children (valid
///         openings of the committed tree), anyone stepping at a leaf with the identity or padding-record
///         witness, timeouts, resolve and close, and the challengers' stake, unstake and withdrawCredit.
///         Ghost state: every game's batch and epoch, how many times it settled, the challenger's credit
///         change at a Dropped settlement, and the number of unsettled games per (batch, epoch).
contract DisputeChallengerHandler is CommonBase, StdCheats, StdUtils {
    uint8 internal constant LEVELS = 4;
    uint8 internal constant WANT_ANY = 0;
    uint8 internal constant WANT_IN_PROGRESS = 1;
    uint8 internal constant WANT_REVEAL = 2;
    uint8 internal constant WANT_PICK = 3;
    uint8 internal constant WANT_STEP = 4;
    uint8 internal constant WANT_DECIDED = 5;

    Rollup public immutable rollup;
    DisputeGame public immutable dispute;
    DisputeSequencerHandler public immutable seq;
    address public immutable keeper = address(0xCEE9);
    address[3] public challengers = [address(0xC0), address(0xC1), address(0xC2)];

    /// @dev Per game id: times `resolve` or `close` succeeded, and the challenger's credit change when the
    ///      game settled Dropped (`type(uint256).max` if its credit went down).
    mapping(uint256 id => uint256) public settledCount;
    mapping(uint256 id => uint256) public droppedRefund;
    mapping(uint256 id => bool) public settledDropped;
    /// @dev Games opened and not yet settled, per batch key (index, epoch), and in all.
    mapping(bytes32 key => uint256) public unsettledOf;
    uint256 public unsettled;
    uint256 public games;

    uint256 public opens;
    uint256 public reveals;
    uint256 public picks;
    uint256 public steps;
    uint256 public timeouts;
    uint256 public resolves;
    uint256 public closes;
    uint256 public challengerWins;
    uint256 public defenderWins;
    uint256 public drops;
    /// @dev Steps that decided ChallengerWon against an honest batch (PROTOCOL §14.4: never).
    uint256 public honestLostByStep;

    constructor(Rollup rollup_, DisputeGame dispute_, DisputeSequencerHandler seq_) {
        rollup = rollup_;
        dispute = dispute_;
        seq = seq_;
    }

    function challengerCount() external pure returns (uint256) {
        return 3;
    }

    // ----------------------------------------------------------------------------------------------------
    // Moves
    // ----------------------------------------------------------------------------------------------------

    function open(uint256 who, uint256 batchSeed) external {
        uint64 last = rollup.lastFinalized();
        uint64 tip = rollup.tip();
        if (tip == last) return;
        uint64 index = uint64(_bound(batchSeed, last + 1, tip));
        address c = challengers[who % 3];
        uint256 bond = rollup.CHALLENGE_BOND();
        vm.deal(c, c.balance + bond);
        vm.prank(c);
        try dispute.open{value: bond}(index) returns (uint256 id) {
            require(id == games, "ghost: game ids are sequential");
            ++games;
            ++unsettled;
            ++unsettledOf[seq.batchKey(index, rollup.batch(index).epoch)];
            ++opens;
        } catch {}
    }

    function reveal(uint256 gameSeed) public {
        (bool ok, uint256 id, Game memory g) = _findGame(gameSeed, WANT_REVEAL);
        if (!ok || g.status != GameStatus.InProgress || g.turn != Turn.Defender) return;
        bytes32[] memory tr = seq.tree(g.batch, g.epoch);
        (, uint8 s) = _levels(g);
        bytes32[] memory children = TraceTree.children(tr, Position.unwrap(g.position), s);
        vm.prank(keeper);
        try dispute.reveal(id, children) {
            ++reveals;
        } catch {}
    }

    function pick(uint256 gameSeed, uint256 childSeed) public {
        (bool ok, uint256 id, Game memory g) = _findGame(gameSeed, WANT_PICK);
        if (!ok || g.status != GameStatus.InProgress || g.turn != Turn.Challenger) return;
        (uint8 below, uint8 s) = _levels(g);
        if (below == 0) return;
        bytes32[] memory tr = seq.tree(g.batch, g.epoch);
        // casting to 'uint64' is safe because child < 2^s <= 16
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 child = uint64(childSeed % (uint256(1) << s));
        uint256 pos = Position.unwrap(g.position);
        uint256 cg = (pos << s) + child;
        bytes32 pre;
        bytes32[] memory preProof;
        if (child != 0) {
            uint256 lg = (pos << below) + (uint256(child) << (below - s)) - 1;
            pre = tr[lg];
            preProof = TraceTree.open(tr, lg, pos);
        }
        bytes32[] memory childProof = TraceTree.open(tr, cg, pos);
        vm.prank(g.challenger);
        try dispute.pick(id, child, tr[cg], childProof, pre, preProof) {
            ++picks;
        } catch {}
    }

    function step(uint256 gameSeed) public {
        (bool ok, uint256 id, Game memory g) = _findGame(gameSeed, WANT_STEP);
        if (!ok || g.status != GameStatus.InProgress) return;
        (uint8 below,) = _levels(g);
        if (below != 0) return;
        bytes memory pre = seq.preOf(g.preRoot);
        require(pre.length == 88, "ghost: unknown pre-root");
        uint256 j = Position.unwrap(g.position) ^ (uint256(1) << g.traceDepth);
        uint256 n = seq.recordCount(seq.batchKey(g.batch, g.epoch));
        bytes memory witness = pre;
        if (j < n) {
            (, bytes32[] memory path) = MerkleBuilder.dataProof(new bytes(n * 128), j);
            bytes memory packed;
            for (uint256 k; k < path.length; ++k) {
                packed = bytes.concat(packed, path[k]);
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            witness = bytes.concat(pre, bytes4(uint32(j)), new bytes(128), packed, bytes1(0x00));
        }
        vm.prank(keeper);
        try dispute.step(id, witness) {
            ++steps;
            bool honest = !seq.dishonestBatch(seq.batchKey(g.batch, g.epoch));
            if (honest && dispute.game(id).status == GameStatus.ChallengerWon) ++honestLostByStep;
        } catch {}
    }

    function timeout(uint256 gameSeed) external {
        (bool ok, uint256 id,) = _findGame(gameSeed, WANT_IN_PROGRESS);
        if (!ok) return;
        vm.prank(keeper);
        try dispute.timeout(id) {
            ++timeouts;
        } catch {}
    }

    function resolve(uint256 gameSeed, bool anyGame) public {
        (bool ok, uint256 id, Game memory g) = _findGame(gameSeed, anyGame ? WANT_ANY : WANT_DECIDED);
        if (!ok) return;
        uint256 before = rollup.creditOf(g.challenger);
        vm.prank(keeper);
        try dispute.resolve(id) {
            _settled(id, g, before);
            ++resolves;
        } catch {}
    }

    function close(uint256 gameSeed, bool anyGame) public {
        (bool ok, uint256 id, Game memory g) = _findGame(gameSeed, anyGame ? WANT_ANY : WANT_IN_PROGRESS);
        if (!ok) return;
        uint256 before = rollup.creditOf(g.challenger);
        vm.prank(keeper);
        try dispute.close(id) {
            _settled(id, g, before);
            ++closes;
        } catch {}
    }

    /// @dev Makes whichever move game `gameSeed` (any game) is waiting for: a reveal, a random pick, the
    ///      step, a resolve once decided, or a close (which reverts while its batch is live).
    function advance(uint256 gameSeed, uint256 childSeed) external {
        (bool ok, uint256 id, Game memory g) = _pickGame(gameSeed);
        if (!ok) return;
        if (g.status != GameStatus.InProgress) return resolve(id, true);
        (uint8 below,) = _levels(g);
        if (!rollup.isLive(g.batch, g.epoch)) return close(id, true);
        if (g.turn == Turn.Defender) return reveal(id);
        if (below != 0) return pick(id, childSeed);
        step(id);
    }

    // ----------------------------------------------------------------------------------------------------
    // Stake and credit
    // ----------------------------------------------------------------------------------------------------

    function stake(uint256 who, uint256 amount) external {
        address c = challengers[who % 3];
        amount = _bound(amount, 1, 2 ether);
        vm.deal(c, c.balance + amount);
        vm.prank(c);
        rollup.stake{value: amount}();
    }

    function unstake(uint256 who) external {
        vm.prank(challengers[who % 3]);
        try rollup.unstake() {} catch {}
    }

    function withdrawCredit(uint256 who) external {
        address c = challengers[who % 3];
        vm.prank(c);
        try rollup.withdrawCredit(payable(c)) {} catch {}
    }

    // ----------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------

    /// @dev Any game, from `seed`.
    function _pickGame(uint256 seed) internal view returns (bool ok, uint256 id, Game memory g) {
        return _findGame(seed, WANT_ANY);
    }

    /// @dev The first game from `seed % games` on (wrapping) in the wanted state, so random moves mostly land.
    function _findGame(uint256 seed, uint8 want) internal view returns (bool ok, uint256 id, Game memory g) {
        uint256 n = games;
        for (uint256 k; k < n; ++k) {
            id = (seed % n + k) % n;
            g = dispute.game(id);
            if (_wanted(g, want)) return (true, id, g);
        }
        return (false, 0, g);
    }

    function _wanted(Game memory g, uint8 want) internal pure returns (bool) {
        if (want == WANT_ANY) return true;
        if (want == WANT_DECIDED) {
            return !g.resolved && g.status != GameStatus.InProgress;
        }
        if (g.status != GameStatus.InProgress) return false;
        if (want == WANT_IN_PROGRESS) return true;
        (uint8 below,) = _levels(g);
        if (want == WANT_REVEAL) return g.turn == Turn.Defender;
        if (want == WANT_PICK) return g.turn == Turn.Challenger && below != 0;
        return below == 0; // WANT_STEP
    }

    function _levels(Game memory g) internal pure returns (uint8 below, uint8 s) {
        below = g.traceDepth - TraceTree.depthOf(Position.unwrap(g.position));
        s = below < LEVELS ? below : LEVELS;
    }

    function _settled(uint256 id, Game memory g, uint256 creditBefore) internal {
        ++settledCount[id];
        if (settledCount[id] == 1) {
            --unsettled;
            --unsettledOf[seq.batchKey(g.batch, g.epoch)];
        }
        GameStatus status = dispute.game(id).status;
        if (status == GameStatus.ChallengerWon) ++challengerWins;
        if (status == GameStatus.DefenderWon) ++defenderWins;
        if (status == GameStatus.Dropped) {
            ++drops;
            settledDropped[id] = true;
            uint256 afterCredit = rollup.creditOf(g.challenger);
            droppedRefund[id] = afterCredit >= creditBefore ? afterCredit - creditBefore : type(uint256).max;
        }
    }
}

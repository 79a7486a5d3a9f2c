// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";
import {Vm} from "forge-std/Vm.sol";

import {IDisputeGame} from "../../../contracts/interfaces/IDisputeGame.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Game, GameStatus, Position, Turn} from "../../../contracts/dispute/DisputeTypes.sol";
import {Batch, StatePreimage, NEW_ACCOUNT} from "../../../contracts/libraries/Types.sol";
import {BaseTest} from "../../utils/BaseTest.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";
import {TraceTree} from "./TraceTree.sol";

/// @notice A call that does nothing: under `forge test --isolate` its measured gas is a whole transaction's
///         (at least 21,000), otherwise the callee frame's (well under 21,000).
contract IsolationProbe {
    function poke() external payable {}
}

/// @title DisputeHarness
/// @notice Test-only actors of a dispute game over real traces: batches of padding records (each a no-op
///         step that applies, PROTOCOL §6–§7) whose honest trace repeats the parent's state root, a defender
///         that reveals from the trace tree it committed, and a challenger that picks from its own honest
///         tree and builds the §8.2 witness of the leaf it reaches.
/// @dev Trees are arrays by generalized index (`TraceTree`). Pre-state preimages the challenger knows are
///      kept by root in `_preOf`; the first deposit into an empty account tree is the one message step the
///      harness can witness. A step or a timeout only decides a game; `resolve` settles it (§14.5): the
///      `Ledger` helpers show that nothing moved in between.
abstract contract DisputeHarness is BaseTest {
    using TraceTree for bytes32[];

    uint8 internal constant LEVELS = 4;

    /// @dev What the Rollup holds and owes around one game: taken before a verdict, compared after it.
    struct Ledger {
        uint64 tip;
        uint32 epoch;
        bool live;
        uint32 openGames;
        uint256 balance;
        uint256 burned;
        uint256[] stakes;
        uint256[] credits;
    }

    IsolationProbe internal probe;

    address internal carol = makeAddr("carol");
    address internal stranger = makeAddr("stranger");

    /// @dev Genesis state root R0 and a state root no honest trace reaches.
    bytes32 internal r0;
    bytes32 internal rBad;

    /// @dev Pre-state preimage (the 88 bytes of §8.2) of each root a challenger may have to step from.
    mapping(bytes32 root => bytes pre) internal _preOf;
    /// @dev Message input (the §4 preimage without its tag) of each deposit queued through `_deposit`.
    mapping(uint64 index => bytes input) internal _messageInput;

    function setUp() public virtual override {
        super.setUp();
        vm.deal(carol, 1_000 ether);
        vm.deal(stranger, 1_000 ether);
        bytes32 empty = MerkleBuilder.z(32);
        r0 = _remember(empty, empty, 0, 0, 0);
        assertEq(r0, rollup.stateRoot(0), "genesis root");
        rBad = _remember(empty, keccak256("wrong withdrawals"), 0, 0, 0);
        assertEq(rBad, _rootOf(_badPost(0)));
        probe = new IsolationProbe();
    }

    // ----------------------------------------------------------------------------------------------------
    // States and batches
    // ----------------------------------------------------------------------------------------------------

    /// @dev Records the preimage of a state the challenger reaches and returns its root.
    function _remember(bytes32 accounts, bytes32 withdrawals, uint64 next, uint64 consumed, uint64 count)
        internal
        returns (bytes32 root)
    {
        bytes memory pre = abi.encodePacked(accounts, withdrawals, next, consumed, count);
        root = keccak256(abi.encodePacked(bytes1(0x04), pre));
        _preOf[root] = pre;
    }

    function _rootOf(StatePreimage memory p) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(0x04), p.accountsRoot, p.withdrawalsRoot, p.nextAccountIndex, p.msgsConsumed, p.withdrawalCount
            )
        );
    }

    /// @dev A post-state no honest batch reaches, with `consumed` messages (the Rollup checks only that).
    function _badPost(uint64 consumed) internal pure returns (StatePreimage memory) {
        return StatePreimage(MerkleBuilder.z(32), keccak256("wrong withdrawals"), 0, consumed, 0);
    }

    /// @dev The genesis state as a post-state: the honest post of a padding-only batch on genesis.
    function _genesisPost() internal pure returns (StatePreimage memory) {
        return StatePreimage(MerkleBuilder.z(32), MerkleBuilder.z(32), 0, 0, 0);
    }

    /// @dev A post-state with the given roots and all counters zero.
    function _postWith(bytes32 accounts, bytes32 withdrawals) internal pure returns (StatePreimage memory) {
        return StatePreimage(accounts, withdrawals, 0, 0, 0);
    }

    function _padding(uint256 n) internal pure returns (bytes memory) {
        return new bytes(n * 128);
    }

    /// @dev Commits `records` (no header) with post-state `post` and the trace root of `tree`.
    function _commitTrace(bytes memory records, StatePreimage memory post, bytes32[] memory tree)
        internal
        returns (uint64)
    {
        uint64 parent = rollup.tip();
        vm.prank(sequencer, sequencer);
        return rollup.commitBatch(parent, "", records, post, tree.root());
    }

    /// @dev `T` leaves equal to `honest` before step `fault` and to `wrong` from it on.
    function _faultFrom(bytes32 honest, bytes32 wrong, uint256 t, uint256 fault)
        internal
        pure
        returns (bytes32[] memory leaves)
    {
        leaves = new bytes32[](t);
        for (uint256 j; j < t; ++j) {
            leaves[j] = j < fault ? honest : wrong;
        }
    }

    /// @dev Queues a deposit of `amount` wei from `who` to a new account, keeping its message input.
    function _deposit(address who, uint128 amount) internal returns (uint64 index) {
        vm.prank(who);
        index = bridge.depositETH{value: amount}(NEW_ACCOUNT);
        _messageInput[index] =
            abi.encodePacked(index, uint8(1), who, NEW_ACCOUNT, uint32(0), amount, uint64(block.timestamp));
    }

    // ----------------------------------------------------------------------------------------------------
    // Moves
    // ----------------------------------------------------------------------------------------------------

    function _open(address who, uint64 index) internal returns (uint256 id) {
        vm.prank(who);
        id = dispute.open{value: CHALLENGE_BOND}(index);
    }

    function _game(uint256 id) internal view returns (Game memory) {
        return dispute.game(id);
    }

    function _status(uint256 id) internal view returns (GameStatus) {
        return dispute.game(id).status;
    }

    /// @dev Levels the next reveal or pick at the game's position descends.
    function _levels(Game memory g) internal pure returns (uint8 below, uint8 s) {
        below = g.traceDepth - TraceTree.depthOf(Position.unwrap(g.position));
        s = below < LEVELS ? below : LEVELS;
    }

    /// @dev The hashes a reveal at the game's position carries, read from the committed tree.
    function _revealed(uint256 id, bytes32[] memory tree) internal view returns (bytes32[] memory) {
        Game memory g = _game(id);
        (, uint8 s) = _levels(g);
        return tree.children(Position.unwrap(g.position), s);
    }

    /// @dev Reveals the committed hashes below the game's node, sent by `who`.
    function _reveal(uint256 id, bytes32[] memory tree, address who) internal {
        bytes32[] memory children = _revealed(id, tree);
        vm.prank(who);
        dispute.reveal(id, children);
    }

    /// @dev The arguments of a pick of `child` against the committed `tree` at the game's position.
    function _pickArgs(uint256 id, bytes32[] memory tree, uint64 child)
        internal
        view
        returns (bytes32 childHash, bytes32[] memory childProof, bytes32 preRoot, bytes32[] memory preProof)
    {
        Game memory g = _game(id);
        uint256 pos = Position.unwrap(g.position);
        (uint8 below, uint8 s) = _levels(g);
        uint256 cg = (pos << s) + child;
        childHash = tree[cg];
        childProof = tree.open(cg, pos);
        if (child != 0) {
            uint256 lg = (pos << below) + (uint256(child) << (below - s)) - 1;
            preRoot = tree[lg];
            preProof = tree.open(lg, pos);
        }
    }

    /// @dev Picks `child` of the last reveal, sent by `who`.
    function _pick(uint256 id, bytes32[] memory tree, uint64 child, address who) internal {
        (bytes32 h, bytes32[] memory proof, bytes32 pre, bytes32[] memory preProof) = _pickArgs(id, tree, child);
        vm.prank(who);
        dispute.pick(id, child, h, proof, pre, preProof);
    }

    /// @dev The honest challenger's choice: the leftmost revealed child that differs from the honest tree;
    ///      if none differs (an honest trace with a wrong state root) the last one, which leads to step T−1.
    function _leftmostDiffering(uint256 id, bytes32[] memory honest, bytes32[] memory claimed)
        internal
        view
        returns (uint64)
    {
        Game memory g = _game(id);
        uint256 pos = Position.unwrap(g.position);
        (, uint8 s) = _levels(g);
        uint64 count = uint64(1) << s;
        for (uint64 c; c < count; ++c) {
            if (honest[(pos << s) + c] != claimed[(pos << s) + c]) return c;
        }
        return count - 1;
    }

    /// @dev Step `j` the game stands at (its leaf).
    function _leafStep(uint256 id) internal view returns (uint64) {
        Game memory g = _game(id);
        return uint64(Position.unwrap(g.position) ^ (uint256(1) << g.traceDepth));
    }

    /// @dev The §8.2 witness of the step at the game's leaf, from its agreed pre-root. `records` is the
    ///      batch's data (no header). Message steps: only a deposit into an empty account tree.
    function _witness(uint256 id, bytes memory records) internal view returns (bytes memory) {
        Game memory g = _game(id);
        bytes memory pre = _preOf[g.preRoot];
        require(pre.length == 88, "harness: unknown pre-root");
        Batch memory b = rollup.batch(g.batch);
        uint64 j = _leafStep(id);
        uint64 m = b.msgsAfter - b.msgsBefore;
        if (j < m) {
            bytes memory empty;
            for (uint256 k; k < 32; ++k) {
                empty = bytes.concat(empty, MerkleBuilder.z(k));
            }
            return bytes.concat(pre, _messageInput[b.msgsBefore + j], bytes1(0x02), empty);
        }
        if (j < m + b.recordCount) {
            uint256 position = j - m;
            (, bytes32[] memory path) = MerkleBuilder.dataProof(records, position);
            bytes memory record = new bytes(128);
            for (uint256 i; i < 128; ++i) {
                record[i] = records[position * 128 + i];
            }
            bytes memory packed;
            for (uint256 k; k < path.length; ++k) {
                packed = bytes.concat(packed, path[k]);
            }
            // casting to 'uint32' is safe because position < recordCount <= 512
            // forge-lint: disable-next-line(unsafe-typecast)
            return bytes.concat(pre, bytes4(uint32(position)), record, packed, bytes1(0x00));
        }
        return pre;
    }

    /// @dev Steps the game with the honest witness, sent by `who`.
    function _step(uint256 id, bytes memory records, address who) internal {
        bytes memory w = _witness(id, records);
        vm.prank(who);
        dispute.step(id, w);
    }

    /// @dev Plays the whole game: the defender reveals `claimed`, the challenger picks the leftmost child
    ///      that differs from `honest`, then steps. Returns each side's number of moves.
    function _play(uint256 id, bytes32[] memory honest, bytes32[] memory claimed, bytes memory records)
        internal
        returns (uint256 defenderMoves, uint256 challengerMoves)
    {
        Game memory g = _game(id);
        while (TraceTree.depthOf(Position.unwrap(g.position)) < g.traceDepth) {
            _reveal(id, claimed, sequencer);
            ++defenderMoves;
            _pick(id, claimed, _leftmostDiffering(id, honest, claimed), g.challenger);
            ++challengerMoves;
            g = _game(id);
        }
        _step(id, records, g.challenger);
        ++challengerMoves;
    }

    // ----------------------------------------------------------------------------------------------------
    // Deciding and settling
    // ----------------------------------------------------------------------------------------------------

    /// @dev The Rollup's side of game `id` now: tip, epoch, whether its batch is live and its open games,
    ///      the Rollup's balance, `burned`, and every actor's stake and credit.
    function _ledger(uint256 id) internal view returns (Ledger memory l) {
        Game memory g = _game(id);
        l.tip = rollup.tip();
        l.epoch = rollup.epoch();
        l.live = rollup.isLive(g.batch, g.epoch);
        if (l.live) l.openGames = rollup.batch(g.batch).openGames;
        l.balance = address(rollup).balance;
        l.burned = rollup.burned();
        address[] memory a = _actors();
        l.stakes = new uint256[](a.length);
        l.credits = new uint256[](a.length);
        for (uint256 i; i < a.length; ++i) {
            l.stakes[i] = rollup.stakeOf(a[i]);
            l.credits[i] = rollup.creditOf(a[i]);
        }
    }

    /// @dev Call before the move that decides game `id`: records the logs from here and returns the ledger.
    function _watch(uint256 id) internal returns (Ledger memory) {
        vm.recordLogs();
        return _ledger(id);
    }

    /// @dev After a verdict, before `resolve`: game `id` is decided `status` and not settled, the logs since
    ///      `_watch` hold one `GameDecided(id, status)` and nothing from the Rollup, and the ledger is as it
    ///      was: the batch not rewound (still live if it was), no stake slashed, nobody paid, and the game
    ///      still counted against the batch, which cannot finalize.
    function _assertUnsettled(uint256 id, GameStatus status, Ledger memory before) internal {
        Game memory g = _game(id);
        assertEq(uint8(g.status), uint8(status), "decided");
        assertFalse(g.resolved, "not settled before resolve");
        _assertOnlyDecided(id, status);

        Ledger memory now_ = _ledger(id);
        assertEq(now_.tip, before.tip, "tip not rewound before resolve");
        assertEq(now_.epoch, before.epoch, "epoch unchanged before resolve");
        assertEq(now_.live, before.live, "liveness unchanged before resolve");
        assertEq(now_.openGames, before.openGames, "the game still counts against the batch");
        assertEq(now_.balance, before.balance, "no wei moved before resolve");
        assertEq(now_.burned, before.burned, "nothing burned before resolve");
        assertEq(now_.stakes, before.stakes, "no stake slashed before resolve");
        assertEq(now_.credits, before.credits, "nobody paid before resolve");
        if (now_.live) _assertCannotFinalize(g.batch, now_.openGames);
    }

    /// @dev The logs since `_watch`: exactly one `GameDecided(id, status)`, no `GameResolved`, none from the
    ///      Rollup (the deciding move does not call it).
    function _assertOnlyDecided(uint256 id, GameStatus status) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 decided;
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].emitter != address(rollup), "a verdict emits nothing from the Rollup");
            if (logs[i].emitter != address(dispute)) continue;
            bytes32 topic = logs[i].topics[0];
            assertTrue(topic != IDisputeGame.GameResolved.selector, "no GameResolved before resolve");
            if (topic == IDisputeGame.GameDecided.selector) {
                assertEq(logs[i].topics[1], bytes32(id), "GameDecided id");
                assertEq(uint8(abi.decode(logs[i].data, (GameStatus))), uint8(status), "GameDecided status");
                ++decided;
            }
        }
        assertEq(decided, 1, "one GameDecided");
    }

    /// @dev Batch `index` has `open` games counted and cannot finalize, even at the end of its window
    ///      (`GamesOpen`); checked on a snapshot that is then restored. Skipped when the parent is pending.
    function _assertCannotFinalize(uint64 index, uint32 open) internal {
        assertGt(open, 0, "games open");
        if (rollup.lastFinalized() + 1 != index) return;
        uint256 time = block.timestamp;
        uint256 snapshot = vm.snapshotState();
        uint256 end = uint256(rollup.batch(index).commitTime) + WINDOW;
        if (time < end) vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, open));
        rollup.finalizeBatch(index);
        vm.revertToState(snapshot);
        assertEq(block.timestamp, time);
    }

    /// @dev Settles game `id` from a third party (`resolve` is permissionless) and checks it ends `settled`,
    ///      emitting `GameResolved`, and that the caller is paid nothing. Returns resolve's gas.
    function _resolve(uint256 id, GameStatus settled) internal returns (uint256 used) {
        uint256 callerCredit = rollup.creditOf(stranger);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(id, settled);
        vm.prank(stranger);
        dispute.resolve(id);
        used = vm.lastCallGas().gasTotalUsed;
        Game memory g = _game(id);
        assertTrue(g.resolved, "resolved");
        assertEq(uint8(g.status), uint8(settled), "status after resolve");
        assertEq(rollup.creditOf(stranger), callerCredit, "the caller of resolve gets nothing");
    }

    /// @dev `_assertUnsettled` then `_resolve`: the verdict `decided` settles as `settled`.
    function _settle(uint256 id, GameStatus decided, GameStatus settled, Ledger memory before)
        internal
        returns (uint256)
    {
        _assertUnsettled(id, decided, before);
        return _resolve(id, settled);
    }

    /// @dev `_settle` of a game whose batch is still live: it settles as decided.
    function _settle(uint256 id, GameStatus status, Ledger memory before) internal returns (uint256) {
        return _settle(id, status, status, before);
    }

    // ----------------------------------------------------------------------------------------------------
    // Gas
    // ----------------------------------------------------------------------------------------------------

    /// @dev True under `forge test --isolate`: each top-level call is then its own transaction, and
    ///      `vm.lastCallGas` measures the whole of it (21,000 + calldata + execution).
    function _isolated() internal returns (bool) {
        probe.poke();
        return vm.lastCallGas().gasTotalUsed >= 21_000;
    }

    /// @dev Logs `used`, a call's `vm.lastCallGas` read by the caller: the callee frame, or with `--isolate`
    ///      the whole transaction.
    function _gas(string memory what, uint256 used) internal returns (uint256) {
        _logGas(what, used, "", _isolated());
        return used;
    }

    /// @dev Sends `data` to the DisputeGame from `from` with `value`, bubbling a revert, and logs its gas:
    ///      the whole transaction under `--isolate` (then also the execution, the transaction less 21,000
    ///      and the calldata's cost), else the callee frame.
    function _measure(string memory what, address from, uint256 value, bytes memory data)
        internal
        returns (uint256 used)
    {
        vm.prank(from);
        (bool ok, bytes memory ret) = address(dispute).call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        used = vm.lastCallGas().gasTotalUsed;
        _logGas(what, used, data, _isolated());
    }

    function _measure(string memory what, address from, bytes memory data) internal returns (uint256) {
        return _measure(what, from, 0, data);
    }

    function _logGas(string memory what, uint256 used, bytes memory data, bool isolated) internal pure {
        string memory line = string.concat("gas ", what, ": ", vm.toString(used));
        if (!isolated) {
            line = string.concat(line, " (call)");
        } else if (data.length == 0) {
            line = string.concat(line, " (whole tx)");
        } else {
            uint256 intrinsic = _intrinsicGas(data);
            // EIP-7623: a transaction pays at least 21,000 + 10 gas per calldata token; the split below
            // holds only above that floor, which every call measured here clears.
            require(used > _floorGas(data), "harness: at the EIP-7623 calldata floor");
            line = string.concat(
                line,
                " (whole tx; calldata ",
                vm.toString(data.length),
                " B, intrinsic ",
                vm.toString(intrinsic),
                ", execution ",
                vm.toString(used - intrinsic),
                ")"
            );
        }
        console2.log(line);
    }

    /// @dev 21,000 plus the calldata's cost, 4 gas a zero byte and 16 a non-zero one (EIP-2028).
    function _intrinsicGas(bytes memory data) internal pure returns (uint256 gas) {
        gas = 21_000;
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    /// @dev EIP-7623's floor: 21,000 plus 10 gas per token (a zero byte one token, a non-zero byte four).
    function _floorGas(bytes memory data) internal pure returns (uint256 gas) {
        gas = 21_000;
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 10 : 40;
        }
    }

    /// @dev Every wei the Rollup holds is a stake, a locked bond, a credit or burned.
    function _assertRollupSolvent(address[] memory owners, uint256 lockedBonds) internal view {
        uint256 sum = rollup.burned() + lockedBonds;
        for (uint256 i; i < owners.length; ++i) {
            sum += rollup.creditOf(owners[i]) + rollup.stakeOf(owners[i]);
        }
        assertEq(address(rollup).balance, sum, "rollup balance = stakes + bonds + credits + burned");
    }

    function _actors() internal view returns (address[] memory a) {
        a = new address[](5);
        (a[0], a[1], a[2], a[3], a[4]) = (sequencer, alice, bob, carol, stranger);
    }

    function _turn(uint256 id) internal view returns (Turn) {
        return _game(id).turn;
    }
}

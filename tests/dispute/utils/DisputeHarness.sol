// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";

import {Game, GameStatus, Position, Turn} from "../../../contracts/dispute/DisputeTypes.sol";
import {Batch, StatePreimage, NEW_ACCOUNT} from "../../../contracts/libraries/Types.sol";
import {BaseTest} from "../../utils/BaseTest.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";
import {TraceTree} from "./TraceTree.sol";

/// @title DisputeHarness
/// @notice Test-only actors of a dispute game over real traces: batches of padding records (each a no-op
///         step that applies, PROTOCOL §6–§7) whose honest trace repeats the parent's state root, a defender
///         that reveals from the trace tree it committed, and a challenger that picks from its own honest
///         tree and builds the §8.2 witness of the leaf it reaches.
/// @dev Trees are arrays by generalized index (`TraceTree`). Pre-state preimages the challenger knows are
///      kept by root in `_preOf`; the first deposit into an empty account tree is the one message step the
///      harness can witness.
abstract contract DisputeHarness is BaseTest {
    using TraceTree for bytes32[];

    uint8 internal constant LEVELS = 4;

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

    /// @dev Whole-call gas of the last call (the callee frame; with `--isolate`, the whole transaction).
    function _gas(string memory what) internal view returns (uint256 used) {
        used = vm.lastCallGas().gasTotalUsed;
        console2.log(what, used);
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

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {IDisputeGame} from "../../../contracts/interfaces/IDisputeGame.sol";
import {DisputeGame} from "../../../contracts/dispute/DisputeGame.sol";
import {Clock, Game, GameStatus, Position, Turn} from "../../../contracts/dispute/DisputeTypes.sol";
import {LibClock} from "../../../contracts/dispute/lib/LibClock.sol";
import {
    MSG_DEPOSIT,
    AccountLeaf,
    L1Message,
    StatePreimage,
    WithdrawalLeaf
} from "../../../contracts/libraries/Types.sol";
import {TraceTree} from "../../dispute/utils/TraceTree.sol";
import {EscapeBooks} from "./EscapeBooks.sol";

/// @title EscapeSequencerHandler
/// @notice Invariant-test actor of the escape suite: whoever the guardian made sequencer, committing batches
///         on the tip whose post-state is a real account and withdrawal tree kept in the books. A batch
///         consumes messages in queue order exactly as §7.1/§7.2 say (a deposit credits its target or opens
///         an account for its sender, a forced withdrawal moves its owner's balance to a withdrawal leaf or is
///         skipped) and then applies a few simplified L2 operations (a transfer between two accounts of a
///         token, a withdraw of an account's balance to its owner): the STF is not executed and nobody
///         judges the records (padding), but every state balances, so the books know what each final state
///         owes. Behaviour switches between honest (consumes everything pending), lazy (some of it),
///         censoring (consumes nothing, records only) and stopped (commits nothing). The sequencer defends
///         its batches in games when it wants to (a reveal of its committed trace), and the sequencers stake,
///         unstake when allowed (a committer above F stays locked for good, §16) and withdraw credit.
/// @dev While frozen or paused (by the books' model of the pause) a commit is made and must be refused with
///      the exact error; a stopped sequencer does nothing. Trace trees are arbitrary (leaves derived from the
///      state root, the last leaf the root): nothing ever steps, so only their shape matters to a reveal.
contract EscapeSequencerHandler is CommonBase, StdCheats, StdUtils {
    using LibClock for Clock;

    uint8 public constant HONEST = 0;
    uint8 public constant LAZY = 1;
    uint8 public constant CENSORING = 2;
    uint8 public constant STOPPED = 3;
    /// @dev Messages one commit consumes at most, and L2 operations it applies at most.
    uint256 internal constant MAX_CONSUME = 8;
    uint256 internal constant MAX_OPS = 3;
    uint8 internal constant REVEAL_LEVELS = 4;

    /// @dev A state being built: leaf arrays with room to grow, and how many of their entries are used.
    struct Draft {
        AccountLeaf[] a;
        uint256 na;
        WithdrawalLeaf[] w;
        uint256 nw;
    }

    EscapeBooks public immutable books;
    Rollup public immutable rollup;
    DisputeGame public immutable dispute;
    address[3] public sequencers;

    uint8 public mode;
    /// @dev Each committed batch's trace tree, by (index, epoch).
    mapping(bytes32 key => bytes32[]) internal _tree;

    uint256 public commits;
    uint256 public censoredCommits;
    uint256 public messagesConsumed;
    uint256 public reveals;
    uint256 public unstakes;
    uint256 public lockedRefusals;
    /// @dev Commits and reveals refused after the freeze, and commits refused during a pause, as expected.
    uint256 public frozenRefusals;
    uint256 public pausedRefusals;
    uint256 public skippedNothing;

    constructor(EscapeBooks books_, DisputeGame dispute_, address[3] memory sequencers_) {
        books = books_;
        rollup = books_.rollup();
        dispute = dispute_;
        sequencers = sequencers_;
    }

    function key(uint64 index, uint32 epoch) public pure returns (bytes32) {
        return keccak256(abi.encode(index, epoch));
    }

    // ----------------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------------

    function setMode(uint256 seed) external {
        // forge-lint: disable-next-line(unsafe-typecast)
        mode = uint8(seed % 4);
    }

    function commit(uint256 consumeSeed, uint256 opsSeed, uint256 opSeed) external {
        if (books.frozen()) return _refusedCommit(abi.encodeWithSelector(IRollup.RollupFrozen.selector));
        uint64 until = books.pausedUntil();
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < until) {
            return _refusedCommit(abi.encodeWithSelector(IRollup.CommitsPaused.selector, until));
        }
        if (mode == STOPPED) return _skip();
        address s = books.sequencer();
        _topUp(s);

        uint64 parent = books.tip();
        (uint256 id, StatePreimage memory post, uint256 m, uint256 n) = _next(parent, consumeSeed, opsSeed, opSeed);
        bytes32[] memory tr = _trace(books.rootOf(post), m + n);
        vm.prank(s, s);
        uint64 index = rollup.commitBatch(parent, "", new bytes(n * 128), post, TraceTree.root(tr));
        books.recordCommit(index, id, s);
        _tree[key(index, books.epoch())] = tr;
        ++commits;
        messagesConsumed += m;
    }

    /// @dev The committer's side reveals the children of a game's node from the trace it committed, if it is
    ///      the defender's move, the batch is live and its clock has time left; anyone may send a reveal.
    function defend(uint256 gameSeed) external {
        uint256 count = dispute.gameCount();
        if (count == 0) return _skip();
        for (uint256 k; k < count; ++k) {
            uint256 id = (gameSeed % count + k) % count;
            Game memory g = dispute.game(id);
            if (g.status != GameStatus.InProgress || g.turn != Turn.Defender) continue;
            bool frozen = books.frozen();
            if (!frozen && (!books.isLive(g.batch, g.epoch) || g.defenderClock.expired(block.timestamp))) continue;
            uint256 pos = Position.unwrap(g.position);
            uint8 below = g.traceDepth - TraceTree.depthOf(pos);
            uint8 s = below < REVEAL_LEVELS ? below : REVEAL_LEVELS;
            bytes32[] memory children = TraceTree.children(_tree[key(g.batch, g.epoch)], pos, s);
            vm.prank(g.defender);
            if (!frozen) {
                dispute.reveal(id, children);
                ++reveals;
                return;
            }
            // After the freeze no game moves, not even the side about to win (§16).
            try dispute.reveal(id, children) {
                revert("sequencer: a game moved after the freeze");
            } catch (bytes memory err) {
                require(
                    keccak256(err) == keccak256(abi.encodeWithSelector(IDisputeGame.RollupFrozen.selector)),
                    "sequencer: RollupFrozen"
                );
            }
            ++frozenRefusals;
            return;
        }
        _skip();
    }

    /// @dev Sequencer `who` unstakes (if it has a stake: refused with `StakeLocked` while its newest batch is
    ///      above the last final one, for good after a freeze, §16) and withdraws its credit (bonds won).
    function cashOut(uint256 who) external {
        address s = sequencers[who % 3];
        uint256 staked = rollup.stakeOf(s);
        if (staked != 0) {
            uint64 last = books.lastCommitOf(s);
            bool locked = last > books.lastFinal();
            vm.prank(s);
            if (locked) {
                try rollup.unstake() {
                    revert("sequencer: unstaked with a batch above the last final one");
                } catch (bytes memory err) {
                    require(
                        keccak256(err) == keccak256(abi.encodeWithSelector(IRollup.StakeLocked.selector, s, last)),
                        "sequencer: StakeLocked"
                    );
                    ++lockedRefusals;
                }
            } else {
                rollup.unstake();
                require(rollup.creditOf(s) >= staked, "sequencer: stake moved to credit");
                ++unstakes;
            }
        }
        uint256 credit = rollup.creditOf(s);
        if (credit != 0) {
            uint256 balance = s.balance;
            vm.prank(s);
            rollup.withdrawCredit(payable(s));
            require(s.balance == balance + credit, "sequencer: credit paid");
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // The bookkeeping STF
    // ----------------------------------------------------------------------------------------------------

    /// @dev The post-state of the next batch on `parent`, stored in the books: how many pending messages it
    ///      consumes follows the mode (honest: all, up to MAX_CONSUME; lazy: some; censoring: none), then up to
    ///      MAX_OPS operations; never empty.
    function _next(uint64 parent, uint256 consumeSeed, uint256 opsSeed, uint256 opSeed)
        internal
        returns (uint256 id, StatePreimage memory post, uint256 m, uint256 n)
    {
        uint256 pid = books.stateIdOf(parent);
        uint64 before = books.pre(pid).msgsConsumed;
        uint256 pending = books.messageCount() - before;
        uint256 cap = pending < MAX_CONSUME ? pending : MAX_CONSUME;
        m = mode == HONEST ? cap : mode == LAZY ? _bound(consumeSeed, 0, cap) : 0;
        n = _bound(opsSeed, 0, MAX_OPS);
        if (m + n == 0) n = 1;
        if (m == 0 && pending != 0) ++censoredCommits;
        (AccountLeaf[] memory a, WithdrawalLeaf[] memory w) = _apply(pid, before, m, n, opSeed);
        // casting to 'uint64' is safe because m <= MAX_CONSUME
        // forge-lint: disable-next-line(unsafe-typecast)
        (id, post) = books.storeState(a, w, before + uint64(m));
    }

    /// @dev The parent state `pid` after messages `before .. before + m` and `n` operations from `opSeed`.
    function _apply(uint256 pid, uint64 before, uint256 m, uint256 n, uint256 opSeed)
        internal
        view
        returns (AccountLeaf[] memory, WithdrawalLeaf[] memory)
    {
        Draft memory d = _draft(pid, m, n);
        for (uint256 j; j < m; ++j) {
            _message(d, books.message(before + j));
        }
        for (uint256 k; k < n; ++k) {
            _operation(d, uint256(keccak256(abi.encode(opSeed, k))));
        }
        AccountLeaf[] memory a = d.a;
        WithdrawalLeaf[] memory w = d.w;
        (uint256 na, uint256 nw) = (d.na, d.nw);
        assembly ("memory-safe") {
            mstore(a, na)
            mstore(w, nw)
        }
        return (a, w);
    }

    /// @dev A copy of state `pid`'s leaves with room for one new account per message and one new withdrawal
    ///      leaf per message or operation.
    function _draft(uint256 pid, uint256 m, uint256 n) internal view returns (Draft memory d) {
        AccountLeaf[] memory pa = books.accounts(pid);
        WithdrawalLeaf[] memory pw = books.withdrawalsOf(pid);
        d.a = new AccountLeaf[](pa.length + m);
        d.w = new WithdrawalLeaf[](pw.length + m + n);
        for (uint256 i; i < pa.length; ++i) {
            d.a[i] = pa[i];
        }
        for (uint256 i; i < pw.length; ++i) {
            d.w[i] = pw[i];
        }
        (d.na, d.nw) = (pa.length, pw.length);
    }

    /// @dev One message step (§7.1, §7.2); the trees never fill here.
    function _message(Draft memory d, L1Message memory msg_) internal pure {
        if (msg_.kind == MSG_DEPOSIT) {
            if (msg_.target < d.na && d.a[msg_.target].token == msg_.token) {
                d.a[msg_.target].balance += msg_.amount; // far below 2^128 here
            } else {
                d.a[d.na++] = AccountLeaf(msg_.sender, msg_.token, msg_.amount, 0);
            }
            return;
        }
        if (msg_.target >= d.na) return;
        AccountLeaf memory acc = d.a[msg_.target];
        if (acc.owner != msg_.sender || acc.token != msg_.token || acc.balance < msg_.amount) return;
        acc.balance -= msg_.amount;
        _withdraw(d, msg_.sender, msg_.token, msg_.amount);
    }

    /// @dev One simplified L2 operation: a no-op (padding), a transfer of part of an account's balance to an
    ///      account of the same token, or a withdraw of part of it to its owner. The sender's nonce moves.
    function _operation(Draft memory d, uint256 r) internal pure {
        uint256 kind = r % 3;
        if (kind == 0 || d.na == 0) return;
        AccountLeaf memory from = d.a[(r >> 8) % d.na];
        if (from.balance == 0) return;
        // casting to 'uint128' is safe because the bound is a uint128 balance
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 amount = uint128(_bound(r >> 64, 1, from.balance));
        ++from.nonce;
        from.balance -= amount;
        if (kind == 2) return _withdraw(d, from.owner, from.token, amount);
        // The first account of the same token from a random index on: `from` itself at worst.
        for (uint256 k; k < d.na; ++k) {
            AccountLeaf memory to = d.a[((r >> 32) + k) % d.na];
            if (to.token != from.token) continue;
            to.balance += amount;
            return;
        }
    }

    /// @dev Appends withdrawal leaf (next index, `to`, `token`, `amount`).
    function _withdraw(Draft memory d, address to, uint32 token, uint128 amount) internal pure {
        d.w[d.nw] = _leaf(d.nw, to, token, amount);
        ++d.nw;
    }

    function _leaf(uint256 index, address to, uint32 token, uint128 amount)
        internal
        pure
        returns (WithdrawalLeaf memory)
    {
        // casting to 'uint32' is safe because the test makes a few hundred leaves at most
        // forge-lint: disable-next-line(unsafe-typecast)
        return WithdrawalLeaf(uint32(index), to, token, amount);
    }

    /// @dev A trace tree of `steps` rounded up to a power of two, its last leaf the state root.
    function _trace(bytes32 root, uint256 steps) internal pure returns (bytes32[] memory) {
        uint256 t = 1;
        while (t < steps) {
            t <<= 1;
        }
        bytes32[] memory leaves = new bytes32[](t);
        for (uint256 j; j + 1 < t; ++j) {
            leaves[j] = keccak256(abi.encode(root, j));
        }
        leaves[t - 1] = root;
        return TraceTree.build(leaves);
    }

    /// @dev A sequencer without a full stake (new, slashed, or unstaked) stakes before it commits (§10).
    function _topUp(address s) internal {
        uint256 staked = rollup.stakeOf(s);
        uint256 required = rollup.STAKE();
        if (staked >= required) return;
        vm.deal(s, s.balance + required - staked);
        vm.prank(s);
        rollup.stake{value: required - staked}();
    }

    /// @dev A commit on the tip, made while the books say none may land (frozen, §16; paused, §17), must be
    ///      refused with exactly `expected`: the first checks of §9 come before anything about its content.
    function _refusedCommit(bytes memory expected) internal {
        uint64 tip = books.tip();
        StatePreimage memory post = books.pre(books.tipState());
        address s = books.sequencer();
        vm.prank(s, s);
        try rollup.commitBatch(tip, "", new bytes(128), post, bytes32(0)) {
            revert("sequencer: a commit landed while frozen or paused");
        } catch (bytes memory err) {
            require(keccak256(err) == keccak256(expected), "sequencer: refused with the wrong error");
        }
        if (books.frozen()) ++frozenRefusals;
        else ++pausedRefusals;
    }

    function _skip() internal {
        ++skippedNothing;
    }
}

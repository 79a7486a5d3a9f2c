// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {Bridge} from "../../../contracts/L1/Bridge.sol";
import {IBridge} from "../../../contracts/interfaces/IBridge.sol";
import {DemoToken} from "../../../contracts/mocks/DemoToken.sol";
import {
    MSG_DEPOSIT,
    AccountLeaf,
    L1Message,
    StatePreimage,
    WithdrawalLeaf
} from "../../../contracts/libraries/Types.sol";
import {MerkleBuilder} from "../../utils/MerkleBuilder.sol";

/// @title EscapeBooks
/// @notice The shared ghost ledger of the escape-hatch invariant suite (`EscapeInvariants`); not a fuzz target.
///         The handlers write here what they did and read what the others did:
///         - the L1 queue, message by message, as the users sent it;
///         - every L2 state the sequencer committed (its account and withdrawal leaves and its preimage), and
///           the live chain over them: tip, epoch, last final batch, the root each batch had when it became
///           final, the freeze;
///         - the guardian's pause as the rules of §17 say it must be;
///         - every payout the Bridge made (withdrawal leaf, exit, refund), how many times, and its value.
///         It also makes the payouts, for whichever actor asks, and checks each one's outcome exactly: a
///         payout that must pay pays its beneficiary exactly, one that must not reverts with exactly the
///         error PROTOCOL §11/§16 names. A repeat that pays anyway is counted, not rejected here: the
///         pay-once and conservation invariants are what must catch it.
/// @dev Hashes and trees are written from the spec (MerkleBuilder and the leaf hashes below), independent of
///      LibHash and LibTree, so a mistake in either shows up as a refused proof.
contract EscapeBooks is CommonBase, StdCheats, StdUtils {
    Rollup public immutable rollup;
    Bridge public immutable bridge;
    DemoToken public immutable demo;

    // ----------------------------------------------------------------------------------------------------
    // Queue
    // ----------------------------------------------------------------------------------------------------

    L1Message[] internal _queue;
    /// @dev Value deposited per token id (0 = ETH, 1 = DEMO once registered).
    mapping(uint32 token => uint256) public deposited;

    // ----------------------------------------------------------------------------------------------------
    // States and the chain
    // ----------------------------------------------------------------------------------------------------

    mapping(uint256 id => AccountLeaf[]) internal _accounts;
    mapping(uint256 id => WithdrawalLeaf[]) internal _withdrawals;
    mapping(uint256 id => StatePreimage) internal _pre;
    uint256 public stateCount;
    /// @dev The largest account and withdrawal trees of any state: the index ranges pay-once is checked over.
    uint256 public maxAccounts;
    uint256 public maxWithdrawals;

    /// @dev The batch at each index on the live chain (a rewind lets a later commit overwrite an index).
    mapping(uint64 index => uint256 stateId) public stateIdOf;
    mapping(uint64 index => uint32) public epochOf;
    mapping(uint64 index => uint64) public commitTimeOf;
    /// @dev The state root each batch had when it finalized (genesis: from deployment).
    mapping(uint64 index => bytes32) public finalRoot;
    /// @dev Each committer's newest batch: its stake stays locked until the chain is final there (§10).
    mapping(address committer => uint64) public lastCommitOf;
    uint64 public tip;
    uint64 public lastFinal;
    uint32 public epoch;
    bool public frozen;
    /// @dev The tip when the rollup froze: a game decided against a batch up to it still slashes (§16).
    uint64 public tipAtFreeze;

    // ----------------------------------------------------------------------------------------------------
    // Guardian and sequencer, as the rules say they must be
    // ----------------------------------------------------------------------------------------------------

    uint64 public pausedUntil;
    uint64 public nextPauseAt;
    address public sequencer;

    // ----------------------------------------------------------------------------------------------------
    // Payouts
    // ----------------------------------------------------------------------------------------------------

    mapping(uint32 leaf => uint256) public timesPaid;
    mapping(uint32 account => uint256) public timesExited;
    mapping(uint64 queueIndex => uint256) public timesRefunded;
    /// @dev Value paid per token id: withdrawal leaves, exits, refunds.
    mapping(uint32 token => uint256) public withdrawn;
    mapping(uint32 token => uint256) public exitedValue;
    mapping(uint32 token => uint256) public refundedValue;

    uint256 public withdrawalsPaid;
    uint256 public exitsPaid;
    uint256 public refundsPaid;
    /// @dev Payout attempts the Bridge refused with exactly the expected error (repeats, consumed messages,
    ///      forced withdrawals, empty accounts, stale roots).
    uint256 public refusals;

    constructor(Rollup rollup_, Bridge bridge_, DemoToken demo_, address sequencer_) {
        rollup = rollup_;
        bridge = bridge_;
        demo = demo_;
        sequencer = sequencer_;
        _pre[0] = StatePreimage(MerkleBuilder.z(32), MerkleBuilder.z(32), 0, 0, 0);
        stateCount = 1;
        finalRoot[0] = rootOf(_pre[0]);
        commitTimeOf[0] = uint64(block.timestamp);
    }

    // ----------------------------------------------------------------------------------------------------
    // Hashes, from the spec (§2.1, §2.2, §3, §4)
    // ----------------------------------------------------------------------------------------------------

    function accountHash(AccountLeaf memory a) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), a.owner, a.token, a.balance, a.nonce));
    }

    function withdrawalHash(WithdrawalLeaf memory w) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x02), w.index, w.recipient, w.token, w.amount));
    }

    function rootOf(StatePreimage memory p) public pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(0x04), p.accountsRoot, p.withdrawalsRoot, p.nextAccountIndex, p.msgsConsumed, p.withdrawalCount
            )
        );
    }

    function messageHash(L1Message memory m) public pure returns (bytes32) {
        return
            keccak256(
                abi.encodePacked(bytes1(0x05), m.index, m.kind, m.sender, m.target, m.token, m.amount, m.queuedAt)
            );
    }

    // ----------------------------------------------------------------------------------------------------
    // Queue
    // ----------------------------------------------------------------------------------------------------

    /// @notice Records message `m`, just queued; the Bridge must have stored exactly its hash.
    function recordMessage(L1Message memory m) external {
        require(m.index == _queue.length, "books: queue indices are sequential");
        require(bridge.messageHash(m.index) == messageHash(m), "books: stored message hash");
        _queue.push(m);
        if (m.kind == MSG_DEPOSIT) deposited[m.token] += m.amount;
    }

    function messageCount() external view returns (uint256) {
        return _queue.length;
    }

    function message(uint256 i) external view returns (L1Message memory) {
        return _queue[i];
    }

    // ----------------------------------------------------------------------------------------------------
    // States and the chain
    // ----------------------------------------------------------------------------------------------------

    function accounts(uint256 id) external view returns (AccountLeaf[] memory) {
        return _accounts[id];
    }

    function withdrawalsOf(uint256 id) external view returns (WithdrawalLeaf[] memory) {
        return _withdrawals[id];
    }

    function pre(uint256 id) external view returns (StatePreimage memory) {
        return _pre[id];
    }

    function stateRoot(uint256 id) public view returns (bytes32) {
        return rootOf(_pre[id]);
    }

    /// @notice The state the tip holds.
    function tipState() external view returns (uint256) {
        return stateIdOf[tip];
    }

    /// @notice The last final batch's state: the pinned state F once frozen.
    function finalState() public view returns (uint256) {
        return stateIdOf[lastFinal];
    }

    /// @notice True iff batch `index` committed in `epoch_` is still on the live chain.
    function isLive(uint64 index, uint32 epoch_) external view returns (bool) {
        return index <= tip && epochOf[index] == epoch_;
    }

    /// @notice Stores the state with accounts `a` and withdrawals `w` that consumed `consumed` messages.
    function storeState(AccountLeaf[] memory a, WithdrawalLeaf[] memory w, uint64 consumed)
        external
        returns (uint256 id, StatePreimage memory p)
    {
        p = StatePreimage({
            accountsRoot: MerkleBuilder.stateRoot(_accountHashes(a)),
            withdrawalsRoot: MerkleBuilder.stateRoot(_withdrawalHashes(w)),
            nextAccountIndex: uint64(a.length),
            msgsConsumed: consumed,
            withdrawalCount: uint64(w.length)
        });
        id = stateCount++;
        _pre[id] = p;
        for (uint256 i; i < a.length; ++i) {
            _accounts[id].push(a[i]);
        }
        for (uint256 i; i < w.length; ++i) {
            _withdrawals[id].push(w[i]);
        }
        if (a.length > maxAccounts) maxAccounts = a.length;
        if (w.length > maxWithdrawals) maxWithdrawals = w.length;
    }

    function recordCommit(uint64 index, uint256 id, address committer) external {
        require(index == tip + 1, "books: commits extend the tip");
        tip = index;
        stateIdOf[index] = id;
        epochOf[index] = epoch;
        commitTimeOf[index] = uint64(block.timestamp);
        lastCommitOf[committer] = index;
    }

    function recordFinal(uint64 index) external {
        require(index == lastFinal + 1 && index <= tip, "books: finality moves one batch at a time");
        lastFinal = index;
        finalRoot[index] = stateRoot(stateIdOf[index]);
    }

    /// @notice Batch `index` lost a game while live: the tip rewinds to its parent, a new epoch begins.
    function recordRewind(uint64 index) external {
        require(index > lastFinal && index <= tip, "books: only a pending batch rewinds");
        tip = index - 1;
        ++epoch;
    }

    function recordFreeze() external {
        frozen = true;
        tipAtFreeze = tip;
        tip = lastFinal;
    }

    function recordPause(uint64 until, uint64 next) external {
        pausedUntil = until;
        nextPauseAt = next;
    }

    function recordSequencer(address next) external {
        sequencer = next;
    }

    // ----------------------------------------------------------------------------------------------------
    // Payouts
    // ----------------------------------------------------------------------------------------------------

    /// @notice `caller` finalizes withdrawal leaf `i` of final batch `b` (any time, frozen or not).
    function payWithdrawal(uint64 b, uint32 i, address caller) public {
        require(b >= 1 && b <= lastFinal, "books: withdrawals prove against final batches");
        uint256 id = stateIdOf[b];
        WithdrawalLeaf memory w = _withdrawals[id][i];
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(_withdrawalHashes(_withdrawals[id]), i);
        bool repeat = timesPaid[i] != 0;
        uint256 before = _balanceOf(w.recipient, w.token);
        vm.prank(caller);
        try bridge.finalizeWithdrawal(b, _pre[id], w, proof) {
            ++timesPaid[i];
            ++withdrawalsPaid;
            withdrawn[w.token] += w.amount;
            require(_balanceOf(w.recipient, w.token) == before + w.amount, "books: recipient paid the leaf");
        } catch (bytes memory err) {
            // The only refusal of a valid proof against a final batch is a repeat.
            require(repeat, "books: a valid withdrawal was refused");
            _expect(err, abi.encodeWithSelector(IBridge.AlreadyPaid.selector, i));
        }
    }

    /// @notice `caller` exits account `i` of the pinned state F.
    function payExit(uint32 i, address caller) public {
        require(frozen, "books: exits open at the freeze");
        uint256 f = finalState();
        AccountLeaf memory a = _accounts[f][i];
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(_accountHashes(_accounts[f]), i);
        bool repeat = timesExited[i] != 0;
        uint256 before = _balanceOf(a.owner, a.token);
        vm.prank(caller);
        try bridge.exit(_pre[f], a, i, proof) {
            ++timesExited[i];
            ++exitsPaid;
            exitedValue[a.token] += a.balance;
            require(_balanceOf(a.owner, a.token) == before + a.balance, "books: owner paid its balance");
        } catch (bytes memory err) {
            if (repeat) _expect(err, abi.encodeWithSelector(IBridge.AlreadyExited.selector, i));
            else if (a.balance == 0) _expect(err, abi.encodeWithSelector(IBridge.NothingToExit.selector, i));
            else revert("books: a valid exit was refused");
        }
    }

    /// @notice `caller` tries to exit account `i` of batch `b`'s state, not F's: always `NotEscapeRoot`.
    function payStaleExit(uint64 b, uint32 i, address caller) external {
        require(frozen, "books: exits open at the freeze");
        uint256 id = stateIdOf[b];
        bytes32 pinned = stateRoot(finalState());
        bytes32 given = stateRoot(id);
        require(given != pinned, "books: a stale root differs from F's");
        (, bytes32[] memory proof) = MerkleBuilder.stateProof(_accountHashes(_accounts[id]), i);
        AccountLeaf memory a = _accounts[id][i];
        StatePreimage memory p = _pre[id];
        vm.prank(caller);
        try bridge.exit(p, a, i, proof) {
            revert("books: an exit against another root paid");
        } catch (bytes memory err) {
            _expect(err, abi.encodeWithSelector(IBridge.NotEscapeRoot.selector, given, pinned));
        }
    }

    /// @notice `caller` asks for a refund of message `q` (any message: consumed ones must be refused).
    function payRefund(uint64 q, address caller) public {
        require(frozen, "books: refunds open at the freeze");
        L1Message memory m = _queue[q];
        uint64 consumed = _pre[finalState()].msgsConsumed;
        bytes memory expected;
        if (q < consumed) expected = abi.encodeWithSelector(IBridge.MessageConsumed.selector, q, consumed);
        else if (timesRefunded[q] != 0) expected = abi.encodeWithSelector(IBridge.AlreadyRefunded.selector, q);
        else if (m.kind != MSG_DEPOSIT) expected = abi.encodeWithSelector(IBridge.NothingToRefund.selector, q);
        uint256 before = _balanceOf(m.sender, m.token);
        vm.prank(caller);
        try bridge.refund(m) {
            ++timesRefunded[q];
            ++refundsPaid;
            refundedValue[m.token] += m.amount;
            require(_balanceOf(m.sender, m.token) == before + m.amount, "books: sender refunded");
        } catch (bytes memory err) {
            require(expected.length != 0, "books: a valid refund was refused");
            _expect(err, expected);
        }
    }

    /// @notice After the freeze, `caller` pays everything still owed: every account of F with a balance,
    ///         every withdrawal leaf of F, every deposit F did not consume.
    function payAll(address caller) external {
        require(frozen, "books: the escape opens at the freeze");
        uint256 f = finalState();
        for (uint256 i; i < _accounts[f].length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (timesExited[uint32(i)] == 0 && _accounts[f][i].balance != 0) payExit(uint32(i), caller);
        }
        if (lastFinal != 0) {
            for (uint256 i; i < _withdrawals[f].length; ++i) {
                // forge-lint: disable-next-line(unsafe-typecast)
                if (timesPaid[uint32(i)] == 0) payWithdrawal(lastFinal, uint32(i), caller);
            }
        }
        for (uint256 q = _pre[f].msgsConsumed; q < _queue.length; ++q) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (timesRefunded[uint64(q)] == 0 && _queue[q].kind == MSG_DEPOSIT) payRefund(uint64(q), caller);
        }
    }

    /// @notice True iff frozen and everything F owes has been paid: the Bridge must then hold nothing.
    function allPaid() external view returns (bool) {
        if (!frozen) return false;
        uint256 f = finalState();
        for (uint256 i; i < _accounts[f].length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (timesExited[uint32(i)] == 0 && _accounts[f][i].balance != 0) return false;
        }
        for (uint256 i; i < _withdrawals[f].length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (timesPaid[uint32(i)] == 0) return false;
        }
        for (uint256 q = _pre[f].msgsConsumed; q < _queue.length; ++q) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (timesRefunded[uint64(q)] == 0 && _queue[q].kind == MSG_DEPOSIT) return false;
        }
        return true;
    }

    /// @notice Counts a refusal the caller checked itself.
    function countRefusal() external {
        ++refusals;
    }

    // ----------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------

    function _accountHashes(AccountLeaf[] memory a) internal pure returns (bytes32[] memory hs) {
        hs = new bytes32[](a.length);
        for (uint256 i; i < a.length; ++i) {
            hs[i] = accountHash(a[i]);
        }
    }

    function _withdrawalHashes(WithdrawalLeaf[] memory w) internal pure returns (bytes32[] memory hs) {
        hs = new bytes32[](w.length);
        for (uint256 i; i < w.length; ++i) {
            hs[i] = withdrawalHash(w[i]);
        }
    }

    function _balanceOf(address who, uint32 token) internal view returns (uint256) {
        return token == 0 ? who.balance : IERC20(bridge.tokenAddress(token)).balanceOf(who);
    }

    /// @dev A refusal must carry exactly `expected`; anything else is re-thrown as it came, for the trace.
    function _expect(bytes memory err, bytes memory expected) internal {
        if (keccak256(err) != keccak256(expected)) {
            assembly ("memory-safe") {
                revert(add(err, 0x20), mload(err))
            }
        }
        ++refusals;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {DisputeGame} from "../../../contracts/dispute/DisputeGame.sol";
import {Clock, Game, GameStatus, Turn} from "../../../contracts/dispute/DisputeTypes.sol";
import {LibClock} from "../../../contracts/dispute/lib/LibClock.sol";
import {EscapeBooks} from "./EscapeBooks.sol";

/// @title EscapeChallengerHandler
/// @notice Invariant-test actor of the escape suite: two challengers opening games on pending batches inside
///         their window, and a keeper settling them. Challengers never pick, so a game ends on a clock: a
///         batch whose committer does not reveal in time loses (the tip rewinds, the stake is slashed, the
///         messages it consumed are unconsumed again with their old queue times); one whose committer
///         revealed (or of one step, where the challenger moves first) wins when the challenger's clock runs
///         out. Games on dropped batches, and every undecided game once the rollup froze, close as refunds of
///         the bond; a game decided for the challenger before the freeze still slashes at resolve (§16); no
///         game opens after it. Each settlement is checked against the books' own idea of which batches are
///         live, and moves the books' chain on a rewind.
/// @dev Ghost per game: its batch, epoch and challenger and whether it settled; unsettled games per
///      (batch, epoch), which the keeper needs to know when a batch may finalize, and in all, which the
///      Rollup's balance must hold as bonds.
contract EscapeChallengerHandler is CommonBase, StdCheats, StdUtils {
    using LibClock for Clock;

    struct GameGhost {
        uint64 batch;
        uint32 epoch;
        address challenger;
        bool settled;
    }

    EscapeBooks public immutable books;
    Rollup public immutable rollup;
    DisputeGame public immutable dispute;
    address[2] public challengers;
    address public immutable keeper;

    GameGhost[] internal _games;
    mapping(bytes32 key => uint256) public unsettledOf;
    uint256 public unsettled;

    uint256 public opens;
    uint256 public timeouts;
    uint256 public rewinds;
    uint256 public defenderWins;
    uint256 public frozenSlashes;
    uint256 public drops;
    /// @dev Games refused after the freeze, as expected.
    uint256 public frozenRefusals;
    uint256 public skippedNothing;

    constructor(EscapeBooks books_, DisputeGame dispute_, address keeper_) {
        books = books_;
        rollup = books_.rollup();
        dispute = dispute_;
        keeper = keeper_;
        challengers[0] = makeAddr("challenger0");
        challengers[1] = makeAddr("challenger1");
    }

    function key(uint64 index, uint32 epoch) public pure returns (bytes32) {
        return keccak256(abi.encode(index, epoch));
    }

    function gameCount() external view returns (uint256) {
        return _games.length;
    }

    // ----------------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------------

    /// @dev Challenger `who` opens a game on a pending batch whose window is still open and that it has not
    ///      challenged yet in this epoch.
    function open(uint256 who, uint256 batchSeed) external {
        uint64 last = books.lastFinal();
        uint64 tip = books.tip();
        address c = challengers[who % 2];
        if (books.frozen()) return _refusedOpen(c, books.tipAtFreeze());
        if (tip == last) return _nothing();
        for (uint64 k; k < tip - last; ++k) {
            // casting to 'uint64' is safe because the remainder is below tip - last
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 index = last + 1 + uint64((batchSeed % (tip - last) + k) % (tip - last));
            uint32 epoch = books.epochOf(index);
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp >= uint256(books.commitTimeOf(index)) + rollup.WINDOW()) continue;
            if (dispute.gameOf(index, epoch, c) != 0) continue;
            uint256 bond = rollup.CHALLENGE_BOND();
            vm.deal(c, c.balance + bond);
            vm.prank(c);
            uint256 id = dispute.open{value: bond}(index);
            require(id == _games.length, "challenger: game ids are sequential");
            _games.push(GameGhost(index, epoch, c, false));
            ++unsettledOf[key(index, epoch)];
            ++unsettled;
            ++opens;
            return;
        }
        _nothing();
    }

    /// @dev The keeper moves an unsettled game on by whichever step applies: close it if its batch is no
    ///      longer live (a rewind or the freeze dropped it), time it out once the mover's clock ran out (and
    ///      mostly resolve it at once), or resolve it if already decided. A live game whose clock still runs
    ///      waits.
    function settle(uint256 gameSeed) external {
        uint256 n = _games.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = (gameSeed % n + k) % n;
            GameGhost memory gg = _games[id];
            if (gg.settled) continue;
            Game memory g = dispute.game(id);
            bool live = books.isLive(gg.batch, gg.epoch);
            if (g.status == GameStatus.InProgress) {
                if (!live) return _close(id, gg);
                Clock clock = g.turn == Turn.Defender ? g.defenderClock : g.challengerClock;
                if (!clock.expired(block.timestamp)) continue;
                vm.prank(keeper);
                dispute.timeout(id);
                ++timeouts;
                // Mostly the keeper settles what it just decided at once; sometimes it leaves the verdict
                // standing, so a freeze may come between a decision and its settlement (§16).
                if (uint256(keccak256(abi.encode(gameSeed))) % 4 == 0) return;
                return _resolve(id, gg, dispute.game(id).status, live);
            }
            return _resolve(id, gg, g.status, live);
        }
        _nothing();
    }

    function withdrawCredit(uint256 who) external {
        address c = challengers[who % 2];
        uint256 credit = rollup.creditOf(c);
        if (credit == 0) return _nothing();
        uint256 balance = c.balance;
        vm.prank(c);
        rollup.withdrawCredit(payable(c));
        require(c.balance == balance + credit, "challenger: credit paid");
    }

    // ----------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------

    /// @dev After the freeze no game opens, on any batch (§16): refused with `RollupFrozen`, bond returned.
    function _refusedOpen(address c, uint64 index) internal {
        uint256 bond = rollup.CHALLENGE_BOND();
        vm.deal(c, c.balance + bond);
        uint256 balance = c.balance;
        vm.prank(c);
        try dispute.open{value: bond}(index) {
            revert("challenger: a game opened after the freeze");
        } catch (bytes memory err) {
            require(
                keccak256(err) == keccak256(abi.encodeWithSelector(IRollup.RollupFrozen.selector)),
                "challenger: RollupFrozen"
            );
        }
        require(c.balance == balance, "challenger: bond returned");
        ++frozenRefusals;
    }

    function _close(uint256 id, GameGhost memory gg) internal {
        uint256 before = rollup.creditOf(gg.challenger);
        vm.prank(keeper);
        dispute.close(id);
        require(rollup.creditOf(gg.challenger) == before + rollup.CHALLENGE_BOND(), "challenger: bond refunded");
        ++drops;
        _settled(id, gg);
    }

    /// @dev Resolves a decided game and checks its settlement against the books (§14.5, §16).
    function _resolve(uint256 id, GameGhost memory gg, GameStatus status, bool live) internal {
        address committer = dispute.game(id).defender;
        uint256 stake = rollup.stakeOf(committer);
        uint256 bond = rollup.CHALLENGE_BOND();
        uint256 challengerBefore = rollup.creditOf(gg.challenger);
        uint256 committerBefore = rollup.creditOf(committer);
        bool won = status == GameStatus.ChallengerWon;
        bool slashedFrozen =
            won && !live && books.frozen() && gg.batch <= books.tipAtFreeze() && books.epochOf(gg.batch) == gg.epoch;
        vm.prank(keeper);
        dispute.resolve(id);
        GameStatus settledAs = dispute.game(id).status;
        if (live && won) {
            // The batch lost: the tip rewinds to its parent and the committer's whole stake is slashed.
            books.recordRewind(gg.batch);
            require(rollup.stakeOf(committer) == 0, "challenger: stake slashed");
            require(
                rollup.creditOf(gg.challenger) == challengerBefore + bond + (stake - stake / 2),
                "challenger: bond and half the stake"
            );
            ++rewinds;
        } else if (live) {
            require(rollup.creditOf(committer) == committerBefore + bond, "challenger: bond to the committer");
            ++defenderWins;
        } else if (slashedFrozen) {
            require(settledAs == GameStatus.ChallengerWon, "challenger: decided game stands");
            require(rollup.stakeOf(committer) == 0, "challenger: slashed after the freeze");
            ++frozenSlashes;
        } else {
            require(settledAs == GameStatus.Dropped, "challenger: dropped");
            require(rollup.creditOf(gg.challenger) == challengerBefore + bond, "challenger: bond refunded");
            ++drops;
        }
        _settled(id, gg);
    }

    function _settled(uint256 id, GameGhost memory gg) internal {
        _games[id].settled = true;
        --unsettledOf[key(gg.batch, gg.epoch)];
        --unsettled;
    }

    function _nothing() internal {
        ++skippedNothing;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeMultisig, ISafe} from "./SafeMultisig.sol";

/// @notice Records who called it, or fails on demand.
contract Recorder {
    error Refused(uint256 code);

    address public lastSender;
    uint256 public lastValue;

    function poke(uint256 value) external {
        lastSender = msg.sender;
        lastValue = value;
    }

    function refuse() external pure {
        revert Refused(7);
    }
}

/// @title SafeMultisigTest
/// @notice The test utility drives a real Safe 1.4.1: owners and threshold as configured, calls arrive
///         from the Safe, fewer than threshold or foreign signatures are refused, the nonce orders
///         transactions, and an inner revert reverts the whole Safe transaction.
contract SafeMultisigTest is SafeMultisig {
    address internal safe;
    Recorder internal recorder;

    function setUp() public {
        safe = _deploySafe();
        recorder = new Recorder();
    }

    function test_deploysThreeOfFive() public view {
        assertEq(ISafe(safe).getThreshold(), 3);
        address[] memory owners = ISafe(safe).getOwners();
        uint256[] memory keys = _safeSigners(safe, 5);
        assertEq(owners.length, 5);
        for (uint256 i; i < 5; ++i) {
            assertEq(owners[i], vm.addr(keys[i]));
            assertTrue(owners[i] != safeRelayer);
        }
        assertEq(ISafe(safe).nonce(), 0);
    }

    function test_callArrivesFromSafe() public {
        assertTrue(_execAsSafe(safe, address(recorder), abi.encodeCall(Recorder.poke, (42))));
        assertEq(recorder.lastSender(), safe);
        assertEq(recorder.lastValue(), 42);
    }

    /// @dev Safe checks the signature length before any signer: fewer than threshold is "GS020".
    function test_fewerThanThresholdReverts() public {
        bytes memory data = abi.encodeCall(Recorder.poke, (1));
        for (uint256 n = 1; n < 3; ++n) {
            bytes memory sigs = _signSafeTx(safe, address(recorder), data, _safeSigners(safe, n));
            vm.expectRevert(bytes("GS020"));
            _submitSafeTx(safe, address(recorder), data, sigs);
        }
        assertEq(ISafe(safe).nonce(), 0);
        assertEq(recorder.lastSender(), address(0));
    }

    /// @dev Three signatures but one by a non-owner: the signatures are really checked ("GS026").
    function test_foreignSignerReverts() public {
        bytes memory data = abi.encodeCall(Recorder.poke, (1));
        uint256[] memory keys = _safeSigners(safe, 3);
        (, uint256 stranger) = makeAddrAndKey("stranger");
        keys[2] = stranger;
        bytes memory sigs = _signSafeTx(safe, address(recorder), data, keys);
        vm.expectRevert(bytes("GS026"));
        _submitSafeTx(safe, address(recorder), data, sigs);
    }

    /// @dev Each execution consumes a nonce, so a signed transaction cannot be replayed.
    function test_nonceIncrementsAndBlocksReplay() public {
        bytes memory data = abi.encodeCall(Recorder.poke, (1));
        bytes memory sigs = _signSafeTx(safe, address(recorder), data, _safeSigners(safe, 3));
        _submitSafeTx(safe, address(recorder), data, sigs);
        assertEq(ISafe(safe).nonce(), 1);
        _execAsSafe(safe, address(recorder), abi.encodeCall(Recorder.poke, (2)));
        assertEq(ISafe(safe).nonce(), 2);

        vm.expectRevert(bytes("GS026"));
        _submitSafeTx(safe, address(recorder), data, sigs);
    }

    function test_innerRevertRevertsSafeTx() public {
        _expectSafeInnerRevert(
            safe,
            address(recorder),
            abi.encodeCall(Recorder.refuse, ()),
            abi.encodeWithSelector(Recorder.Refused.selector, 7)
        );
        assertEq(ISafe(safe).nonce(), 0);
    }

    /// @dev The finding behind `_expectSafeInnerRevert`: the Safe's revert data is GS013 alone.
    function test_innerErrorDataIsNotPropagated() public {
        bytes memory data = abi.encodeCall(Recorder.refuse, ());
        bytes memory sigs = _signSafeTx(safe, address(recorder), data, _safeSigners(safe, 3));
        vm.prank(safeRelayer);
        (bool ok, bytes memory ret) = safe.call(
            abi.encodeCall(
                ISafe.execTransaction, (address(recorder), 0, data, 0, 0, 0, 0, address(0), payable(address(0)), sigs)
            )
        );
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSignature("Error(string)", "GS013"));
    }
}

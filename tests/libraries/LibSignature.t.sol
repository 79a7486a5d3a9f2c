// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {LibSignature} from "../../contracts/libraries/LibSignature.sol";
import {SkipReason} from "../../contracts/libraries/Types.sol";
import {LibHarness} from "../utils/LibHarness.sol";

/// @notice The acceptance rule of PROTOCOL §5.2, each rejection explicit and in order.
contract LibSignatureTest is Test {
    LibHarness internal h = new LibHarness();

    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant HALF_N = N / 2;

    uint256 internal constant PK = 0xA11CE;
    bytes32 internal constant DIGEST = keccak256("digest");

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        (v, r, s) = vm.sign(pk, digest);
    }

    function _assertRejected(bytes memory sig, SkipReason want) internal view {
        (address signer, SkipReason reason) = h.recover(DIGEST, sig);
        assertEq(signer, address(0));
        assertEq(uint8(reason), uint8(want));
    }

    function test_LibSignature_acceptsWalletSignature() public view {
        (bytes32 r, bytes32 s, uint8 v) = _sign(PK, DIGEST);
        (address signer, SkipReason reason) = h.recover(DIGEST, abi.encodePacked(r, s, v));
        assertEq(signer, vm.addr(PK));
        assertEq(uint8(reason), uint8(SkipReason.None));
        (signer, reason) = LibSignature.recover(DIGEST, r, s, v);
        assertEq(signer, vm.addr(PK));
    }

    function test_LibSignature_rejectsWrongLength() public view {
        (bytes32 r, bytes32 s, uint8 v) = _sign(PK, DIGEST);
        _assertRejected("", SkipReason.SignatureLength);
        _assertRejected(abi.encodePacked(r, s), SkipReason.SignatureLength); // ERC-2098 style 64 bytes
        _assertRejected(abi.encodePacked(r, s, v, uint8(0)), SkipReason.SignatureLength);
    }

    function test_LibSignature_rejectsVOtherThan27Or28() public view {
        (bytes32 r, bytes32 s, uint8 v) = _sign(PK, DIGEST);
        _assertRejected(abi.encodePacked(r, s, v - 27), SkipReason.SignatureV); // 0/1 form
        _assertRejected(abi.encodePacked(r, s, uint8(29)), SkipReason.SignatureV);
        _assertRejected(abi.encodePacked(r, s, uint8(255)), SkipReason.SignatureV);
    }

    function test_LibSignature_rejectsROutOfRange() public view {
        (, bytes32 s, uint8 v) = _sign(PK, DIGEST);
        _assertRejected(abi.encodePacked(bytes32(0), s, v), SkipReason.SignatureR);
        _assertRejected(abi.encodePacked(bytes32(N), s, v), SkipReason.SignatureR);
        _assertRejected(abi.encodePacked(bytes32(type(uint256).max), s, v), SkipReason.SignatureR);
    }

    function test_LibSignature_rejectsSZeroOrHigh() public view {
        (bytes32 r, bytes32 s, uint8 v) = _sign(PK, DIGEST);
        _assertRejected(abi.encodePacked(r, bytes32(0), v), SkipReason.SignatureS);
        _assertRejected(abi.encodePacked(r, bytes32(HALF_N + 1), v), SkipReason.SignatureS);
        // The malleable twin (n - s, other v) recovers the same key on ecrecover, yet is rejected.
        uint8 twinV = v == 27 ? 28 : 27;
        bytes32 twinS = bytes32(N - uint256(s));
        assertEq(ecrecover(DIGEST, twinV, r, twinS), vm.addr(PK));
        _assertRejected(abi.encodePacked(r, twinS, twinV), SkipReason.SignatureS);
    }

    function test_LibSignature_sAtHalfOrderHasValidForm() public pure {
        assertEq(uint8(LibSignature.checkForm(bytes32(uint256(1)), bytes32(HALF_N), 27)), uint8(SkipReason.None));
        assertEq(uint8(LibSignature.checkForm(bytes32(N - 1), bytes32(uint256(1)), 28)), uint8(SkipReason.None));
    }

    function test_LibSignature_checksFormInOrder() public pure {
        // v is checked before r, r before s.
        assertEq(uint8(LibSignature.checkForm(0, 0, 0)), uint8(SkipReason.SignatureV));
        assertEq(uint8(LibSignature.checkForm(0, 0, 27)), uint8(SkipReason.SignatureR));
        assertEq(uint8(LibSignature.checkForm(bytes32(uint256(1)), 0, 27)), uint8(SkipReason.SignatureS));
    }

    function test_LibSignature_rejectsRWithNoCurvePoint() public view {
        // Find an r < n that is not the x-coordinate of a curve point: recovery fails.
        bytes32 r;
        for (uint256 x = 1; x < 100; ++x) {
            if (ecrecover(DIGEST, 27, bytes32(x), bytes32(uint256(1))) == address(0)) {
                r = bytes32(x);
                break;
            }
        }
        assertTrue(r != 0);
        _assertRejected(abi.encodePacked(r, bytes32(uint256(1)), uint8(27)), SkipReason.RecoveryFailed);
    }

    /// @dev Totality: arbitrary bytes never revert; an accepted signature has a valid form and a signer.
    function testFuzz_recoverNeverReverts(bytes32 digest, bytes calldata sig) public view {
        (address signer, SkipReason reason) = h.recover(digest, sig);
        if (reason == SkipReason.None) {
            assertEq(sig.length, 65);
            assertTrue(signer != address(0));
            assertEq(signer, ecrecover(digest, uint8(sig[64]), bytes32(sig[0:32]), bytes32(sig[32:64])));
        } else {
            assertEq(signer, address(0));
        }
    }

    function testFuzz_recoverNeverRevertsOn65Bytes(bytes32 digest, bytes32 r, bytes32 s, uint8 v) public view {
        v = uint8(bound(v, 26, 29));
        (address signer, SkipReason reason) = h.recover(digest, abi.encodePacked(r, s, v));
        assertEq(signer == address(0), reason != SkipReason.None);
    }

    function testFuzz_acceptsEveryKeysLowSSignature(uint256 pk, bytes32 digest) public view {
        pk = bound(pk, 1, N - 1);
        (bytes32 r, bytes32 s, uint8 v) = _sign(pk, digest);
        (address signer, SkipReason reason) = h.recover(digest, abi.encodePacked(r, s, v));
        assertEq(uint8(reason), uint8(SkipReason.None));
        assertEq(signer, vm.addr(pk));
    }

    function testFuzz_rejectsEveryHighSTwin(uint256 pk, bytes32 digest) public view {
        pk = bound(pk, 1, N - 1);
        (bytes32 r, bytes32 s, uint8 v) = _sign(pk, digest);
        (address signer, SkipReason reason) =
            h.recover(digest, abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27)));
        assertEq(uint8(reason), uint8(SkipReason.SignatureS));
        assertEq(signer, address(0));
    }
}

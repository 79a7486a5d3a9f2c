// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {LibRecord} from "../../contracts/libraries/LibRecord.sol";
import {Record, RecordKind, SkipReason} from "../../contracts/libraries/Types.sol";
import {LibHarness} from "../utils/LibHarness.sol";

/// @notice The record codec of PROTOCOL §6: field offsets, zero tails, and totality on any 128 bytes.
contract LibRecordTest is Test {
    LibHarness internal h = new LibHarness();

    bytes32 internal constant R = bytes32(uint256(0x1111));
    bytes32 internal constant S = bytes32(uint256(0x2222));

    function _transfer(uint32 from, uint32 to, uint32 token, uint128 amount, uint128 fee, uint32 nonce)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(uint8(1), from, to, token, amount, fee, nonce, R, S, uint8(28), bytes14(0));
    }

    function _withdraw(uint32 from, address recipient, uint128 amount, uint128 fee, uint32 nonce)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(uint8(2), from, recipient, amount, fee, nonce, R, S, uint8(27), bytes2(0));
    }

    function _flip(bytes memory rec, uint256 at) internal pure returns (bytes memory) {
        rec[at] = bytes1(uint8(rec[at]) ^ 0x01);
        return rec;
    }

    function test_LibRecord_decodesTransfer() public view {
        bytes memory rec = _transfer(1, 2, 3, 4e18, 5, 6);
        assertEq(rec.length, 128);
        Record memory d = h.decode(rec);
        assertEq(uint8(d.kind), uint8(RecordKind.Transfer));
        assertEq(uint8(d.reason), uint8(SkipReason.None));
        assertEq(d.from, 1);
        assertEq(d.to, 2);
        assertEq(d.token, 3);
        assertEq(d.amount, 4e18);
        assertEq(d.fee, 5);
        assertEq(d.nonce, 6);
        assertEq(d.recipient, address(0));
        assertEq(d.r, R);
        assertEq(d.s, S);
        assertEq(d.v, 28);
        assertEq(LibRecord.signature(d), abi.encodePacked(R, S, uint8(28)));
    }

    function test_LibRecord_decodesWithdraw() public view {
        bytes memory rec = _withdraw(7, address(0xBEEF), 8, 9, 10);
        assertEq(rec.length, 128);
        Record memory d = h.decode(rec);
        assertEq(uint8(d.kind), uint8(RecordKind.Withdraw));
        assertEq(d.from, 7);
        assertEq(d.recipient, address(0xBEEF));
        assertEq(d.amount, 8);
        assertEq(d.fee, 9);
        assertEq(d.nonce, 10);
        assertEq(d.to, 0);
        assertEq(d.token, 0);
        assertEq(d.r, R);
        assertEq(d.s, S);
        assertEq(d.v, 27);
    }

    function test_LibRecord_decodesPadding() public view {
        Record memory d = h.decode(new bytes(128));
        assertEq(uint8(d.kind), uint8(RecordKind.Padding));
        assertEq(uint8(d.reason), uint8(SkipReason.None));
        assertEq(LibRecord.signature(d), "");
    }

    function testFuzz_paddingWithAnyNonZeroByteIsMalformed(uint8 at) public view {
        at = uint8(bound(at, 1, 127));
        Record memory d = h.decode(_flip(new bytes(128), at));
        assertEq(uint8(d.kind), uint8(RecordKind.Malformed));
        assertEq(uint8(d.reason), uint8(SkipReason.NonZeroPadding));
    }

    function testFuzz_unknownKind(uint8 kind) public view {
        vm.assume(kind > 2);
        bytes memory rec = new bytes(128);
        rec[0] = bytes1(kind);
        Record memory d = h.decode(rec);
        assertEq(uint8(d.kind), uint8(RecordKind.Malformed));
        assertEq(uint8(d.reason), uint8(SkipReason.UnknownKind));
        assertEq(d.kindByte, kind);
    }

    function testFuzz_transferTailMustBeZero(uint8 at) public view {
        at = uint8(bound(at, 114, 127));
        Record memory d = h.decode(_flip(_transfer(1, 2, 3, 4, 5, 6), at));
        assertEq(uint8(d.kind), uint8(RecordKind.Malformed));
        assertEq(uint8(d.reason), uint8(SkipReason.NonZeroPadding));
        assertEq(d.from, 0); // a malformed record's fields stay zero
    }

    function testFuzz_withdrawTailMustBeZero(uint8 at) public view {
        at = uint8(bound(at, 126, 127));
        Record memory d = h.decode(_flip(_withdraw(1, address(2), 3, 4, 5), at));
        assertEq(uint8(d.kind), uint8(RecordKind.Malformed));
        assertEq(uint8(d.reason), uint8(SkipReason.NonZeroPadding));
    }

    function test_LibRecord_lastFieldByteIsNotTail() public view {
        // v is the last field byte: 113 (transfer), 125 (withdraw). Any v value decodes.
        bytes memory t = _transfer(1, 2, 3, 4, 5, 6);
        t[113] = 0xff;
        assertEq(uint8(h.decode(t).kind), uint8(RecordKind.Transfer));
        assertEq(h.decode(t).v, 0xff);
        bytes memory w = _withdraw(1, address(2), 3, 4, 5);
        w[125] = 0xff;
        assertEq(uint8(h.decode(w).kind), uint8(RecordKind.Withdraw));
        assertEq(h.decode(w).v, 0xff);
    }

    function testFuzz_transferRoundTrips(
        uint32 from,
        uint32 to,
        uint32 token,
        uint128 amount,
        uint128 fee,
        uint32 nonce,
        bytes32 r,
        bytes32 s,
        uint8 v
    ) public view {
        bytes memory rec = abi.encodePacked(uint8(1), from, to, token, amount, fee, nonce, r, s, v, bytes14(0));
        Record memory d = h.decode(rec);
        assertEq(uint8(d.kind), uint8(RecordKind.Transfer));
        assertEq(
            abi.encodePacked(uint8(1), d.from, d.to, d.token, d.amount, d.fee, d.nonce, d.r, d.s, d.v, bytes14(0)), rec
        );
    }

    function testFuzz_withdrawRoundTrips(
        uint32 from,
        address recipient,
        uint128 amount,
        uint128 fee,
        uint32 nonce,
        bytes32 r,
        bytes32 s,
        uint8 v
    ) public view {
        bytes memory rec = abi.encodePacked(uint8(2), from, recipient, amount, fee, nonce, r, s, v, bytes2(0));
        Record memory d = h.decode(rec);
        assertEq(uint8(d.kind), uint8(RecordKind.Withdraw));
        assertEq(
            abi.encodePacked(uint8(2), d.from, d.recipient, d.amount, d.fee, d.nonce, d.r, d.s, d.v, bytes2(0)), rec
        );
    }

    /// @dev Totality: any 128 bytes decode, to exactly the kind the spec names.
    function testFuzz_decodeNeverReverts(bytes32 a, bytes32 b, bytes32 c, bytes32 e) public view {
        bytes memory rec = bytes.concat(a, b, c, e);
        Record memory d = h.decode(rec);
        uint8 k = uint8(rec[0]);
        assertEq(d.kindByte, k);
        if (k > 2) {
            assertEq(uint8(d.reason), uint8(SkipReason.UnknownKind));
        } else if (k == 0) {
            bool zero = a == 0 && b == 0 && c == 0 && e == 0;
            assertEq(uint8(d.kind), uint8(zero ? RecordKind.Padding : RecordKind.Malformed));
        } else {
            uint256 tail = k == 1 ? uint256(e) & ((1 << 112) - 1) : uint256(e) & 0xffff;
            assertEq(uint8(d.kind), tail == 0 ? k : uint8(RecordKind.Malformed));
        }
    }

    /// @dev Field reads load whole words past the field; bytes after the record must not leak in.
    function testFuzz_decodeIgnoresBytesAfterTheRecord(uint32 from, bytes32 junk) public view {
        bytes memory t = _transfer(from, 2, 3, 4, 5, 6);
        bytes memory w = _withdraw(from, address(7), 8, 9, 10);
        bytes memory after_ = bytes.concat(junk, junk, junk, junk);
        assertEq(abi.encode(h.decodeAt(bytes.concat(t, after_), 0)), abi.encode(h.decode(t)));
        assertEq(abi.encode(h.decodeAt(bytes.concat(w, after_), 0)), abi.encode(h.decode(w)));
        assertEq(abi.encode(h.decodeAt(bytes.concat(after_, w, after_), 1)), abi.encode(h.decode(w)));
    }

    function test_RevertWhen_RecordNot128Bytes() public {
        vm.expectRevert(abi.encodeWithSelector(LibRecord.RecordLength.selector, 127));
        h.decode(new bytes(127));
        vm.expectRevert(abi.encodeWithSelector(LibRecord.RecordLength.selector, 129));
        h.decode(new bytes(129));
    }
}

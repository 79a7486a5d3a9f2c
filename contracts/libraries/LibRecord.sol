// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    RECORD_SIZE,
    RECORD_PADDING,
    RECORD_TRANSFER,
    RECORD_WITHDRAW,
    RecordKind,
    SkipReason,
    Record
} from "./Types.sol";

/// @title LibRecord
/// @notice Decodes one 128-byte record of batch data (PROTOCOL §6). Decoding never fails on content: any
///         128 bytes decode to a transfer, a withdraw, padding, or `Malformed` with a reason.
/// @dev Byte ranges [a, b) as in the spec. Transfer: kind 0x01 [0], from u32 [1, 5), to u32 [5, 9),
///      token u32 [9, 13), amount u128 [13, 29), fee u128 [29, 45), nonce u32 [45, 49), r [49, 81),
///      s [81, 113), v [113], zero [114, 128).
///      Withdraw: kind 0x02 [0], from u32 [1, 5), recipient [5, 25), amount u128 [25, 41), fee u128 [41, 57),
///      nonce u32 [57, 61), r [61, 93), s [93, 125), v [125], zero [126, 128).
library LibRecord {
    /// @notice The slice handed to `decode` is not exactly one record (a caller's bug, not content).
    error RecordLength(uint256 length);

    /// @notice Decodes the 128-byte record `rec`; reverts only if `rec.length != 128`.
    /// @return d The decoded record; fields its kind lacks are zero, and all fields are zero unless the
    ///         record is a well-formed transfer or withdraw.
    function decode(bytes calldata rec) internal pure returns (Record memory d) {
        if (rec.length != RECORD_SIZE) revert RecordLength(rec.length);
        uint256 o;
        assembly ("memory-safe") {
            o := rec.offset
        }
        uint8 kind = uint8(_read(o, 0, 1));
        d.kindByte = kind;
        // Word 3 holds bytes 96..128: its low bits are each kind's zero tail.
        uint256 w3 = _read(o, 96, 32);
        if (kind == RECORD_PADDING) {
            if (_read(o, 0, 32) | _read(o, 32, 32) | _read(o, 64, 32) | w3 != 0) {
                return _malformed(d, SkipReason.NonZeroPadding);
            }
            d.kind = RecordKind.Padding;
        } else if (kind == RECORD_TRANSFER) {
            if (w3 & ((1 << 112) - 1) != 0) return _malformed(d, SkipReason.NonZeroPadding); // bytes 114..128
            d.kind = RecordKind.Transfer;
            d.from = uint32(_read(o, 1, 4));
            d.to = uint32(_read(o, 5, 4));
            d.token = uint32(_read(o, 9, 4));
            d.amount = uint128(_read(o, 13, 16));
            d.fee = uint128(_read(o, 29, 16));
            d.nonce = uint32(_read(o, 45, 4));
            d.r = bytes32(_read(o, 49, 32));
            d.s = bytes32(_read(o, 81, 32));
            d.v = uint8(_read(o, 113, 1));
        } else if (kind == RECORD_WITHDRAW) {
            if (w3 & 0xffff != 0) return _malformed(d, SkipReason.NonZeroPadding); // bytes 126..128
            d.kind = RecordKind.Withdraw;
            d.from = uint32(_read(o, 1, 4));
            d.recipient = address(uint160(_read(o, 5, 20)));
            d.amount = uint128(_read(o, 25, 16));
            d.fee = uint128(_read(o, 41, 16));
            d.nonce = uint32(_read(o, 57, 4));
            d.r = bytes32(_read(o, 61, 32));
            d.s = bytes32(_read(o, 93, 32));
            d.v = uint8(_read(o, 125, 1));
        } else {
            return _malformed(d, SkipReason.UnknownKind);
        }
    }

    /// @notice The 65-byte signature `r ‖ s ‖ v` of a decoded transfer or withdraw (empty for other kinds).
    function signature(Record memory d) internal pure returns (bytes memory) {
        if (d.kind != RecordKind.Transfer && d.kind != RecordKind.Withdraw) return "";
        return abi.encodePacked(d.r, d.s, d.v);
    }

    /// @dev Marks `d` malformed; its fields stay zero.
    function _malformed(Record memory d, SkipReason reason) private pure returns (Record memory) {
        d.kind = RecordKind.Malformed;
        d.reason = reason;
        return d;
    }

    /// @dev The `len`-byte big-endian integer at byte `at` of the record starting at calldata offset `o`.
    ///      `at + len <= 128` always holds here; `calldataload` past the end of calldata yields zeros, and any
    ///      bytes after the field are shifted out, so one word load per field is exact.
    function _read(uint256 o, uint256 at, uint256 len) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(sub(256, shl(3, len)), calldataload(add(o, at)))
        }
    }
}

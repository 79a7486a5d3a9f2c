// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {LibHarness} from "../utils/LibHarness.sol";

/// @notice The header form of PROTOCOL §6.1: k ≤ 16 entries of 8 bytes, tokens strictly increasing.
contract LibHeaderTest is Test {
    LibHarness internal h = new LibHarness();

    function _header(uint256 k, uint32 step) internal pure returns (bytes memory out) {
        for (uint256 i; i < k; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            // forge-lint: disable-next-line(unsafe-typecast)
            out = bytes.concat(out, abi.encodePacked(uint32(i * step), uint32(100 + i)));
        }
    }

    function test_LibHeader_emptyIsWellFormed() public view {
        assertTrue(h.isWellFormed(""));
    }

    function test_LibHeader_sixteenIncreasingEntries() public view {
        assertTrue(h.isWellFormed(_header(1, 1)));
        assertTrue(h.isWellFormed(_header(16, 3)));
    }

    function test_LibHeader_rejectsSeventeenEntries() public view {
        assertFalse(h.isWellFormed(_header(17, 1)));
    }

    function test_LibHeader_rejectsPartialEntry() public view {
        assertFalse(h.isWellFormed(new bytes(7)));
        assertFalse(h.isWellFormed(bytes.concat(_header(2, 1), hex"00")));
    }

    function test_LibHeader_rejectsRepeatedOrDecreasingTokens() public view {
        assertFalse(h.isWellFormed(abi.encodePacked(uint32(1), uint32(5), uint32(1), uint32(6))));
        assertFalse(h.isWellFormed(abi.encodePacked(uint32(2), uint32(5), uint32(1), uint32(6))));
        assertFalse(h.isWellFormed(_header(2, 0)));
    }

    function test_LibHeader_feeRecipient() public view {
        bytes memory hdr = abi.encodePacked(uint32(0), uint32(11), uint32(3), uint32(33));
        (bool found, uint32 account) = h.feeRecipient(hdr, 3);
        assertTrue(found);
        assertEq(account, 33);
        (found, account) = h.feeRecipient(hdr, 0);
        assertTrue(found);
        assertEq(account, 11);
        (found, account) = h.feeRecipient(hdr, 1);
        assertFalse(found);
        assertEq(account, 0);
    }

    /// @dev Totality: any bytes are judged without reverting; well-formed iff the spec says so.
    function testFuzz_isWellFormedNeverReverts(bytes calldata header) public view {
        bool ok = header.length % 8 == 0 && header.length <= 128;
        for (uint256 i = 8; ok && i < header.length; i += 8) {
            ok = uint32(bytes4(header[i:i + 4])) > uint32(bytes4(header[i - 8:i - 4]));
        }
        assertEq(h.isWellFormed(header), ok);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";
import {Rollup} from "../../contracts/L1/Rollup.sol";
import {StatePreimage, MAX_RECORDS, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice A commit of MAX_RECORDS stays under the 2^24 transaction gas cap (EIP-7825) and the 128 KiB
///         transaction size limit, with calldata priced at the EIP-7623 floor (DESIGN "Cost model").
contract CommitGasTest is BaseTest {
    uint256 internal constant TX_GAS_CAP = 1 << 24;
    uint256 internal constant TX_SIZE_LIMIT = 128 * 1024;

    struct Cost {
        uint256 calldataBytes;
        uint256 zeroBytes;
        uint256 execution;
        uint256 standard; // 21000 + 4/16 per byte + execution
        uint256 floor; // EIP-7623: 21000 + 10 per zero byte + 40 per non-zero byte
        uint256 total; // what the transaction pays: the larger of the two
    }

    /// @dev Worst case: every record byte random (non-zero almost everywhere), still well-formed length.
    function _randomRecords(uint256 n) internal pure returns (bytes memory out) {
        out = new bytes(n * 128);
        for (uint256 i; i < n * 4; ++i) {
            bytes32 w = keccak256(abi.encode("worst", i));
            assembly ("memory-safe") {
                mstore(add(add(out, 0x20), mul(i, 32)), w)
            }
        }
    }

    function _measure(bytes memory header, bytes memory records) internal returns (Cost memory c) {
        uint64 parent = rollup.tip();
        StatePreimage memory post = _post(keccak256("withdrawals"), 0, 0);
        post.nextAccountIndex = 100_000;
        bytes memory data = abi.encodeCall(Rollup.commitBatch, (parent, header, records, post, TRACE_ROOT));
        c.calldataBytes = data.length;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) ++c.zeroBytes;
        }
        uint256 nonZero = c.calldataBytes - c.zeroBytes;

        // The gas of the Rollup's own frame, as in a transaction that calls it directly; measuring gasleft()
        // around the call would also count this test's ABI encoding and memory, which grow with the batch.
        // Cross-check: the caller-side measurement bounds it from above.
        vm.prank(sequencer, sequencer);
        uint256 g = gasleft();
        rollup.commitBatch(parent, header, records, post, TRACE_ROOT);
        uint256 outer = g - gasleft();
        c.execution = vm.lastCallGas().gasTotalUsed;
        assertLe(c.execution, outer);

        c.standard = 21_000 + 4 * c.zeroBytes + 16 * nonZero + c.execution;
        c.floor = 21_000 + 10 * c.zeroBytes + 40 * nonZero;
        c.total = c.standard > c.floor ? c.standard : c.floor;
    }

    function _log(string memory label, uint256 n, Cost memory c) internal pure {
        console2.log(label);
        console2.log("  records           ", n);
        console2.log("  calldata bytes    ", c.calldataBytes);
        console2.log("  zero bytes        ", c.zeroBytes);
        console2.log("  execution gas     ", c.execution);
        console2.log("  standard tx gas   ", c.standard);
        console2.log("  EIP-7623 floor    ", c.floor);
        console2.log("  tx gas            ", c.total);
        if (n > 0) console2.log("  tx gas per record ", c.total / n);
    }

    function test_Rollup_commitMaxRecordsFitsTxLimits() public {
        bytes memory header = abi.encodePacked(uint32(0), uint32(1), uint32(1), uint32(2));
        Cost memory c = _measure(header, _records(MAX_RECORDS, 42));
        _log("commitBatch, 512 realistic transfer records", MAX_RECORDS, c);
        assertLt(c.total, TX_GAS_CAP);
        assertLt(c.calldataBytes, TX_SIZE_LIMIT);
        assertEq(rollup.batch(1).recordCount, MAX_RECORDS);
    }

    function test_Rollup_commitMaxRandomRecordsFitsTxLimits() public {
        Cost memory c = _measure("", _randomRecords(MAX_RECORDS));
        _log("commitBatch, 512 random (worst-case) records", MAX_RECORDS, c);
        assertLt(c.total, TX_GAS_CAP);
        assertLt(c.calldataBytes, TX_SIZE_LIMIT);
    }

    function test_Rollup_commitGasBySize() public {
        uint256[4] memory sizes = [uint256(1), 16, 256, 512];
        for (uint256 i; i < sizes.length; ++i) {
            Cost memory c = _measure("", _records(sizes[i], i));
            _log("commitBatch, realistic transfer records", sizes[i], c);
            assertLt(c.total, TX_GAS_CAP);
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {LibTree} from "../../contracts/libraries/LibTree.sol";
import {LibRecord} from "../../contracts/libraries/LibRecord.sol";
import {LibHeader} from "../../contracts/libraries/LibHeader.sol";
import {LibSignature} from "../../contracts/libraries/LibSignature.sol";
import {Record, SkipReason} from "../../contracts/libraries/Types.sol";

/// @title LibHarness
/// @notice Test-only: exposes the libraries' calldata functions as external calls, so tests can hand them
///         memory values (and `vm.expectRevert` can catch their errors).
contract LibHarness {
    function fold(bytes32 leaf, uint32 index, bytes32[] calldata proof) external pure returns (bytes32) {
        return LibTree.fold(leaf, index, proof);
    }

    function verify(bytes32 root, bytes32 leaf, uint32 index, bytes32[] calldata proof) external pure returns (bool) {
        return LibTree.verify(root, leaf, index, proof);
    }

    function foldData(bytes32 leaf, uint256 index, bytes32[] calldata proof) external pure returns (bytes32) {
        return LibTree.foldData(leaf, index, proof);
    }

    function recordsRoot(bytes calldata records) external pure returns (bytes32) {
        return LibTree.recordsRoot(records);
    }

    function recordLeaf(bytes calldata rec) external pure returns (bytes32) {
        return LibHash.recordLeaf(rec);
    }

    function headerHash(bytes calldata header) external pure returns (bytes32) {
        return LibHash.header(header);
    }

    function decode(bytes calldata rec) external pure returns (Record memory) {
        return LibRecord.decode(rec);
    }

    function decodeAt(bytes calldata records, uint256 i) external pure returns (Record memory) {
        return LibRecord.decode(records[i * 128:(i + 1) * 128]);
    }

    function isWellFormed(bytes calldata header) external pure returns (bool) {
        return LibHeader.isWellFormed(header);
    }

    function feeRecipient(bytes calldata header, uint32 token) external pure returns (bool, uint32) {
        return LibHeader.feeRecipient(header, token);
    }

    function recover(bytes32 digest, bytes calldata sig) external pure returns (address, SkipReason) {
        return LibSignature.recover(digest, sig);
    }
}

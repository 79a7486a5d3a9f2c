// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {HEADER_ENTRY_SIZE, MAX_FEE_TOKENS} from "./Types.sol";

/// @title LibHeader
/// @notice The batch header (PROTOCOL §6.1): `k ≤ MAX_FEE_TOKENS` entries of 8 bytes,
///         `token:u32 ‖ account:u32`, tokens strictly increasing. It names each token's fee recipient.
/// @dev Reads calldata at explicit offsets; never reverts.
library LibHeader {
    /// @notice True iff `header` is a whole number of entries, at most 16, with strictly increasing tokens.
    function isWellFormed(bytes calldata header) internal pure returns (bool) {
        uint256 len = header.length;
        if (len % HEADER_ENTRY_SIZE != 0 || len > MAX_FEE_TOKENS * HEADER_ENTRY_SIZE) return false;
        uint256 k = len / HEADER_ENTRY_SIZE;
        for (uint256 i = 1; i < k; ++i) {
            if (_token(header, i) <= _token(header, i - 1)) return false;
        }
        return true;
    }

    /// @notice The fee recipient the header names for `token`, if any. Assumes a well-formed header.
    function feeRecipient(bytes calldata header, uint32 token) internal pure returns (bool found, uint32 account) {
        uint256 k = header.length / HEADER_ENTRY_SIZE;
        for (uint256 i; i < k; ++i) {
            if (_token(header, i) == token) return (true, _account(header, i));
        }
        return (false, 0);
    }

    /// @dev Token of entry `i` (bytes 8i..8i+4); `i` is below the entry count.
    function _token(bytes calldata header, uint256 i) private pure returns (uint32) {
        return uint32(bytes4(header[i * HEADER_ENTRY_SIZE:i * HEADER_ENTRY_SIZE + 4]));
    }

    /// @dev Account of entry `i` (bytes 8i+4..8i+8); `i` is below the entry count.
    function _account(bytes calldata header, uint256 i) private pure returns (uint32) {
        return uint32(bytes4(header[i * HEADER_ENTRY_SIZE + 4:i * HEADER_ENTRY_SIZE + 8]));
    }
}

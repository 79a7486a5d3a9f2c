// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title LibEIP712
/// @notice Bulwark's EIP-712 domain, type hashes, struct hashes and digests (PROTOCOL §5.1).
/// @dev The domain separator is computed from explicit values — the L1 chain id and the Rollup's address —
///      never from `address(this)` of whichever contract verifies, so the Rollup, a one-step verifier and the
///      Rust engine all sign over the same domain.
library LibEIP712 {
    /// @dev `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @dev `keccak256("Bulwark")`.
    bytes32 internal constant NAME_HASH = keccak256("Bulwark");
    /// @dev `keccak256("1")`.
    bytes32 internal constant VERSION_HASH = keccak256("1");
    /// @dev Type hash of a transfer.
    bytes32 internal constant TRANSFER_TYPEHASH =
        keccak256("Transfer(uint32 from,uint32 to,uint32 token,uint128 amount,uint128 fee,uint32 nonce)");
    /// @dev Type hash of a withdraw.
    bytes32 internal constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(uint32 from,address recipient,uint128 amount,uint128 fee,uint32 nonce)");

    /// @notice Domain separator for the Rollup at `rollup` on chain `chainId`.
    function domainSeparator(uint256 chainId, address rollup) internal pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, rollup));
    }

    /// @notice EIP-712 struct hash of a transfer.
    function transferHash(uint32 from, uint32 to, uint32 token, uint128 amount, uint128 fee, uint32 nonce)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(TRANSFER_TYPEHASH, from, to, token, amount, fee, nonce));
    }

    /// @notice EIP-712 struct hash of a withdraw.
    function withdrawHash(uint32 from, address recipient, uint128 amount, uint128 fee, uint32 nonce)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(WITHDRAW_TYPEHASH, from, recipient, amount, fee, nonce));
    }

    /// @notice The signed digest, `H(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)`.
    function digest(bytes32 separator, bytes32 structHash) internal pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(separator, structHash);
    }
}

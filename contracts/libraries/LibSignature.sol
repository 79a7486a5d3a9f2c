// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SkipReason} from "./Types.sol";

/// @title LibSignature
/// @notice The signature acceptance rule of PROTOCOL §5.2, rules 1–4. Rule 5 (signer == owner) is the
///         caller's, against the account leaf it reads.
/// @dev Reason codes (a `SkipReason`, a uint8 in the ABI), checked in this order:
///      `SignatureLength` (not 65 bytes), `SignatureV` (v ∉ {27, 28}), `SignatureR` (r = 0 or r ≥ n),
///      `SignatureS` (s = 0 or s > n/2), `RecoveryFailed` (no point, or the zero address); `None` if accepted.
///      The form is checked explicitly before recovery, so OpenZeppelin's own checks never decide acceptance.
///      Never reverts.
library LibSignature {
    /// @dev secp256k1 group order n.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// @dev floor(n / 2): the largest accepted s.
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice Applies §5.2 rules 1–4 to a signature of any length.
    /// @return signer The recovered signer, or zero when rejected.
    /// @return reason `SkipReason.None` when accepted, else the first rule that failed.
    function recover(bytes32 digest, bytes memory sig) internal pure returns (address signer, SkipReason reason) {
        if (sig.length != 65) return (address(0), SkipReason.SignatureLength);
        bytes32 r;
        bytes32 s;
        uint8 v;
        // Split r ‖ s ‖ v from a checked 65-byte buffer (no abi.decode of attacker bytes).
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return recover(digest, r, s, v);
    }

    /// @notice Applies §5.2 rules 2–4 to a signature already split (a record's fixed 65-byte field).
    function recover(bytes32 digest, bytes32 r, bytes32 s, uint8 v)
        internal
        pure
        returns (address signer, SkipReason reason)
    {
        reason = checkForm(r, s, v);
        if (reason != SkipReason.None) return (address(0), reason);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
        if (err != ECDSA.RecoverError.NoError || recovered == address(0)) {
            return (address(0), SkipReason.RecoveryFailed);
        }
        return (recovered, SkipReason.None);
    }

    /// @notice §5.2 rules 2–3 alone (the STF checks the form before it reads any account, §7.3 step 2).
    function checkForm(bytes32 r, bytes32 s, uint8 v) internal pure returns (SkipReason) {
        if (v != 27 && v != 28) return SkipReason.SignatureV;
        if (r == 0 || uint256(r) >= N) return SkipReason.SignatureR;
        if (s == 0 || uint256(s) > HALF_N) return SkipReason.SignatureS;
        return SkipReason.None;
    }
}

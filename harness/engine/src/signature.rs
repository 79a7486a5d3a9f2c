//! The signature acceptance rule of PROTOCOL §5.2, implemented explicitly.
//!
//! Rules 1–3 (length, `v`, ranges of `r` and `s`) are checked by
//! [`Signature::parse`] before any curve arithmetic, because libraries that
//! normalise a high `s` or accept `v ∈ {0, 1}` must not decide acceptance.
//! Rule 4 is [`Signature::recover`]; rule 5 (signer equals owner) belongs to
//! the STF, which knows the owner.

use alloy_primitives::{Address, B256, U256, keccak256};
use k256::ecdsa::SigningKey;
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::group::Group;
use k256::elliptic_curve::ops::{LinearCombination, Reduce};
use k256::elliptic_curve::point::DecompressPoint;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::subtle::Choice;
use k256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};

use crate::outcome::SkipReason;

/// Length of an accepted signature: `r(32) ‖ s(32) ‖ v(1)`.
pub const SIGNATURE_LEN: usize = 65;

/// The secp256k1 group order `n`.
pub const SECP256K1_N: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
));

/// `n / 2`, the largest accepted `s`.
pub const SECP256K1_HALF_N: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0"
));

/// A signature whose form passed rules 1–3: `0 < r < n`, `0 < s ≤ n/2`, `v ∈ {27, 28}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    r: [u8; 32],
    s: [u8; 32],
    y_odd: bool,
}

impl Signature {
    /// Checks rules 1–3 of §5.2 on raw bytes, in that order.
    pub fn parse(bytes: &[u8]) -> Result<Self, SkipReason> {
        let bytes: &[u8; SIGNATURE_LEN] = bytes
            .try_into()
            .map_err(|_| SkipReason::SignatureLength(bytes.len()))?;
        let y_odd = match bytes[64] {
            27 => false,
            28 => true,
            v => return Err(SkipReason::SignatureV(v)),
        };
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..64]);
        let (r_int, s_int) = (U256::from_be_bytes(r), U256::from_be_bytes(s));
        if r_int.is_zero() || r_int >= SECP256K1_N {
            return Err(SkipReason::SignatureR);
        }
        if s_int.is_zero() || s_int > SECP256K1_HALF_N {
            return Err(SkipReason::SignatureS);
        }
        Ok(Self { r, s, y_odd })
    }

    /// Rule 4: recovers the signer of `digest`; fails on no point or the zero address.
    pub fn recover(&self, digest: &B256) -> Result<Address, SkipReason> {
        // `parse` established 0 < r, s < n, so these conversions and the
        // inversion succeed; they are still checked, never unwrapped.
        let r_bytes = FieldBytes::from(self.r);
        let r = Option::<Scalar>::from(Scalar::from_repr(r_bytes)).ok_or(SkipReason::SignatureR)?;
        let s = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(self.s)))
            .ok_or(SkipReason::SignatureS)?;
        let z = <Scalar as Reduce<k256::U256>>::reduce_bytes(&FieldBytes::from(digest.0));
        // r < n < p, so r is the x coordinate itself (v ∈ {27, 28} never
        // names the x + n case).
        let big_r = Option::<AffinePoint>::from(AffinePoint::decompress(
            &r_bytes,
            Choice::from(u8::from(self.y_odd)),
        ))
        .ok_or(SkipReason::RecoveryFailed)?;
        let r_inv = Option::<Scalar>::from(r.invert()).ok_or(SkipReason::SignatureR)?;
        let u1 = -(r_inv * z);
        let u2 = r_inv * s;
        // Q = r⁻¹(sR − zG): the same equation as `ecrecover`, without the
        // redundant verification pass some libraries add after it.
        let q = ProjectivePoint::lincomb(
            &ProjectivePoint::GENERATOR,
            &u1,
            &ProjectivePoint::from(big_r),
            &u2,
        );
        if bool::from(q.is_identity()) {
            return Err(SkipReason::RecoveryFailed);
        }
        let signer = address_of_point(&q.to_affine());
        if signer.is_zero() {
            return Err(SkipReason::RecoveryFailed);
        }
        Ok(signer)
    }

    /// The 65 bytes `r ‖ s ‖ v`.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out[..32].copy_from_slice(&self.r);
        out[32..64].copy_from_slice(&self.s);
        out[64] = 27 + u8::from(self.y_odd);
        out
    }
}

/// Rules 1–4 of §5.2: the signer of `digest`, or why the signature is rejected.
pub fn recover_signer(digest: &B256, signature: &[u8]) -> Result<Address, SkipReason> {
    Signature::parse(signature)?.recover(digest)
}

/// The Ethereum address of a public key: the last 20 bytes of `H(x ‖ y)`.
fn address_of_point(point: &AffinePoint) -> Address {
    let encoded = point.to_encoded_point(false);
    let xy = encoded.as_bytes().get(1..).unwrap_or_default();
    Address::from_slice(&keccak256(xy)[12..])
}

/// The Ethereum address of a signing key.
pub fn address_of(key: &SigningKey) -> Address {
    address_of_point(key.verifying_key().as_affine())
}

/// Signs `digest` as `r ‖ s ‖ v` with low `s` and `v ∈ {27, 28}`.
///
/// A helper for tests, tools and benches: the engine itself never signs.
/// k256 normalises `s` and adjusts the recovery id to match. Signing fails
/// only with negligible probability (a nonce giving `r = 0`); then the zero
/// signature is returned, which every verifier rejects.
pub fn sign(digest: &B256, key: &SigningKey) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    if let Ok((signature, recovery)) = key.sign_prehash_recoverable(digest.as_slice()) {
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64] = 27 + u8::from(recovery.is_y_odd());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&FieldBytes::from([seed; 32])).unwrap()
    }

    fn with(sig: [u8; 65], f: impl FnOnce(&mut [u8; 65])) -> [u8; 65] {
        let mut s = sig;
        f(&mut s);
        s
    }

    #[test]
    fn half_n_is_half_of_n() {
        assert_eq!(SECP256K1_N >> 1, SECP256K1_HALF_N);
    }

    #[test]
    fn signs_and_recovers_like_k256() {
        for seed in 1..6u8 {
            let digest = keccak256([seed]);
            let sig = sign(&digest, &key(seed));
            assert_eq!(recover_signer(&digest, &sig), Ok(address_of(&key(seed))));
            let k256_sig = k256::ecdsa::Signature::from_slice(&sig[..64]).unwrap();
            let id = k256::ecdsa::RecoveryId::from_byte(sig[64] - 27).unwrap();
            let vk =
                k256::ecdsa::VerifyingKey::recover_from_prehash(digest.as_slice(), &k256_sig, id)
                    .unwrap();
            assert_eq!(address_of_point(vk.as_affine()), address_of(&key(seed)));
        }
    }

    #[test]
    fn form_checks_come_before_recovery() {
        let digest = keccak256("x");
        let good = sign(&digest, &key(1));
        assert_eq!(
            recover_signer(&digest, &good[..64]),
            Err(SkipReason::SignatureLength(64))
        );
        for v in [0u8, 1, 29] {
            assert_eq!(
                recover_signer(&digest, &with(good, |s| s[64] = v)),
                Err(SkipReason::SignatureV(v))
            );
        }
        assert_eq!(
            recover_signer(&digest, &with(good, |s| s[..32].fill(0))),
            Err(SkipReason::SignatureR)
        );
        let n = SECP256K1_N.to_be_bytes::<32>();
        assert_eq!(
            recover_signer(&digest, &with(good, |s| s[..32].copy_from_slice(&n))),
            Err(SkipReason::SignatureR)
        );
        assert_eq!(
            recover_signer(&digest, &with(good, |s| s[32..64].fill(0))),
            Err(SkipReason::SignatureS)
        );
    }

    #[test]
    fn high_s_is_rejected_although_it_recovers() {
        let digest = keccak256("y");
        let good = sign(&digest, &key(2));
        let s = U256::from_be_slice(&good[32..64]);
        let high = with(good, |b| {
            b[32..64].copy_from_slice(&(SECP256K1_N - s).to_be_bytes::<32>());
            b[64] = if b[64] == 27 { 28 } else { 27 };
        });
        assert_eq!(recover_signer(&digest, &high), Err(SkipReason::SignatureS));
    }

    #[test]
    fn r_off_the_curve_fails_recovery() {
        let digest = keccak256("z");
        let mut sig = sign(&digest, &key(3));
        // About half of all x have no point; find a small one.
        let x = (1u8..64)
            .find(|&x| {
                let mut bytes = [0u8; 32];
                bytes[31] = x;
                AffinePoint::decompress(&FieldBytes::from(bytes), Choice::from(0))
                    .is_none()
                    .into()
            })
            .unwrap();
        sig[..32].fill(0);
        sig[31] = x;
        assert_eq!(
            recover_signer(&digest, &sig),
            Err(SkipReason::RecoveryFailed)
        );
    }
}

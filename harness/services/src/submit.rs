//! A submitted L2 transaction, as a wallet signed it: the EIP-712 message of
//! a `Transfer` or `Withdraw` and its 65-byte signature (what
//! `eth_signTypedData_v4` or `cast wallet sign --data` return). Parsed into
//! the record the sequencer batches, each bad field named; nothing here
//! touches state.

use bulwark_engine::{
    AccountIndex, Address, B256, Domain, RecordBytes, SignedTransfer, SignedWithdraw, TokenId,
    Transfer, Withdraw,
};
use serde_json::Value;

/// A request field that is missing or has a value the protocol does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field, as a JSON path (`message.amount`).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A parsed submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The EIP-712 digest the owner signed: the transaction's id in the API.
    pub hash: B256,
    /// The record as a batch carries it.
    pub record: RecordBytes,
    /// The account debited.
    pub from: AccountIndex,
    /// The nonce it was signed with.
    pub nonce: u32,
}

/// Parses `body` (`{"primaryType", "message", "signature"}`, optionally the
/// `domain` the wallet signed under, which must be the rollup's).
pub fn parse(body: &Value, domain: &Domain) -> Result<Submission, FieldError> {
    let object = body
        .as_object()
        .ok_or_else(|| bad("body", "expected a JSON object"))?;
    if let Some(d) = object.get("domain") {
        check_domain(d, domain)?;
    }
    let kind = object
        .get("primaryType")
        .ok_or_else(|| bad("primaryType", "missing"))?
        .as_str()
        .ok_or_else(|| bad("primaryType", "expected \"Transfer\" or \"Withdraw\""))?;
    let message = object
        .get("message")
        .ok_or_else(|| bad("message", "missing"))?;
    if !message.is_object() {
        return Err(bad("message", "expected a JSON object"));
    }
    let signature = signature(object.get("signature"))?;
    let m = Fields(message);
    match kind {
        "Transfer" => {
            let tx = Transfer {
                from: AccountIndex(m.uint("from")?),
                to: AccountIndex(m.uint("to")?),
                token: TokenId(m.uint("token")?),
                amount: m.uint("amount")?,
                fee: m.uint("fee")?,
                nonce: m.uint("nonce")?,
            };
            Ok(Submission {
                hash: tx.digest(domain),
                record: SignedTransfer { tx, signature }.encode(),
                from: tx.from,
                nonce: tx.nonce,
            })
        }
        "Withdraw" => {
            let tx = Withdraw {
                from: AccountIndex(m.uint("from")?),
                recipient: m.address("recipient")?,
                amount: m.uint("amount")?,
                fee: m.uint("fee")?,
                nonce: m.uint("nonce")?,
            };
            Ok(Submission {
                hash: tx.digest(domain),
                record: SignedWithdraw { tx, signature }.encode(),
                from: tx.from,
                nonce: tx.nonce,
            })
        }
        other => Err(bad(
            "primaryType",
            format!("{other:?} is not \"Transfer\" or \"Withdraw\""),
        )),
    }
}

/// The fields of `message`, each read with its name for errors.
struct Fields<'a>(&'a Value);

impl Fields<'_> {
    fn get(&self, name: &str) -> Result<&Value, FieldError> {
        self.0
            .get(name)
            .ok_or_else(|| bad(&format!("message.{name}"), "missing"))
    }

    /// An unsigned integer of type `T`, as a JSON number or a decimal (or
    /// `0x` hex) string: wallets write `uint128` amounts as strings.
    fn uint<T: TryFrom<u128>>(&self, name: &str) -> Result<T, FieldError> {
        let field = format!("message.{name}");
        let wide: u128 = match self.get(name)? {
            Value::Number(n) => n
                .as_u64()
                .map(u128::from)
                .ok_or_else(|| bad(&field, format!("{n} is not an unsigned integer")))?,
            Value::String(s) => parse_u128(s)
                .ok_or_else(|| bad(&field, format!("{s:?} is not an unsigned integer")))?,
            other => return Err(bad(&field, format!("expected a number, got {other}"))),
        };
        T::try_from(wide).map_err(|_| {
            bad(
                &field,
                format!("{wide} does not fit {} bits", std::mem::size_of::<T>() * 8),
            )
        })
    }

    fn address(&self, name: &str) -> Result<Address, FieldError> {
        let field = format!("message.{name}");
        self.get(name)?
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&field, "expected a 20-byte hex address"))
    }
}

fn parse_u128(s: &str) -> Option<u128> {
    match s.strip_prefix("0x") {
        Some(hex) => u128::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn signature(value: Option<&Value>) -> Result<[u8; 65], FieldError> {
    let text = value
        .ok_or_else(|| bad("signature", "missing"))?
        .as_str()
        .ok_or_else(|| bad("signature", "expected 0x-prefixed hex"))?;
    let bytes = text
        .strip_prefix("0x")
        .and_then(|digits| hex::decode(digits).ok())
        .ok_or_else(|| bad("signature", "expected 0x-prefixed hex"))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        bad(
            "signature",
            format!("{} bytes, expected 65 (r ‖ s ‖ v)", b.len()),
        )
    })
}

/// A `domain` the wallet signed under must be the rollup's: a signature
/// under another domain would only ever be skipped as `BadSignature`.
fn check_domain(d: &Value, domain: &Domain) -> Result<(), FieldError> {
    let text = |name: &str| d.get(name).and_then(Value::as_str);
    if text("name") != Some("Bulwark") {
        return Err(bad("domain.name", "expected \"Bulwark\""));
    }
    if text("version") != Some("1") {
        return Err(bad("domain.version", "expected \"1\""));
    }
    let chain = match d.get("chainId") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => parse_u128(s).and_then(|c| u64::try_from(c).ok()),
        _ => None,
    };
    if chain != Some(domain.chain_id()) {
        return Err(bad(
            "domain.chainId",
            format!("expected {}", domain.chain_id()),
        ));
    }
    let contract = text("verifyingContract").and_then(|s| s.parse::<Address>().ok());
    if contract != Some(domain.rollup()) {
        return Err(bad(
            "domain.verifyingContract",
            format!("expected the Rollup, {}", domain.rollup()),
        ));
    }
    Ok(())
}

/// The EIP-712 types and domain a wallet needs to sign for this rollup, as
/// `eth_signTypedData_v4` and `cast wallet sign --data` take them (without
/// `primaryType` and `message`).
pub fn typed_data_skeleton(domain: &Domain) -> Value {
    let field = |name: &str, ty: &str| serde_json::json!({ "name": name, "type": ty });
    serde_json::json!({
        "types": {
            "EIP712Domain": [
                field("name", "string"),
                field("version", "string"),
                field("chainId", "uint256"),
                field("verifyingContract", "address"),
            ],
            "Transfer": [
                field("from", "uint32"),
                field("to", "uint32"),
                field("token", "uint32"),
                field("amount", "uint128"),
                field("fee", "uint128"),
                field("nonce", "uint32"),
            ],
            "Withdraw": [
                field("from", "uint32"),
                field("recipient", "address"),
                field("amount", "uint128"),
                field("fee", "uint128"),
                field("nonce", "uint32"),
            ],
        },
        "domain": {
            "name": "Bulwark",
            "version": "1",
            "chainId": domain.chain_id(),
            "verifyingContract": domain.rollup().to_checksum(None),
        },
    })
}

#[cfg(test)]
mod tests {
    use bulwark_engine::Record;
    use serde_json::json;

    use super::*;

    fn domain() -> Domain {
        Domain::new(31337, Address::repeat_byte(0xAA))
    }

    fn transfer() -> Value {
        json!({
            "primaryType": "Transfer",
            "message": { "from": 1, "to": 2, "token": 0, "amount": "340282366920938463463374607431768211455", "fee": 5, "nonce": "7" },
            "signature": format!("0x{}", "11".repeat(64) + "1b"),
        })
    }

    #[test]
    fn a_transfer_becomes_its_record_and_digest() {
        let s = parse(&transfer(), &domain()).unwrap();
        let Record::Transfer(t) = Record::decode(&s.record) else {
            panic!("not a transfer")
        };
        assert_eq!(t.tx.amount, u128::MAX);
        assert_eq!(t.tx.nonce, 7);
        assert_eq!(t.signature[64], 0x1b);
        assert_eq!(s.hash, t.tx.digest(&domain()));
    }

    #[test]
    fn a_withdraw_becomes_its_record() {
        let body = json!({
            "primaryType": "Withdraw",
            "domain": { "name": "Bulwark", "version": "1", "chainId": "31337", "verifyingContract": "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
            "message": { "from": 3, "recipient": "0x0000000000000000000000000000000000000bEE", "amount": "0x10", "fee": "0", "nonce": 0 },
            "signature": format!("0x{}", "22".repeat(65)),
        });
        let s = parse(&body, &domain()).unwrap();
        let Record::Withdraw(w) = Record::decode(&s.record) else {
            panic!("not a withdraw")
        };
        assert_eq!(w.tx.amount, 16);
        assert_eq!(
            w.tx.recipient,
            "0x0000000000000000000000000000000000000bEE"
                .parse::<Address>()
                .unwrap()
        );
    }

    fn altered(change: impl FnOnce(&mut Value)) -> Value {
        let mut body = transfer();
        change(&mut body);
        body
    }

    #[test]
    fn each_bad_field_is_named() {
        let domain_with = |chain: u64, contract: &str| json!({ "name": "Bulwark", "version": "1", "chainId": chain, "verifyingContract": contract });
        let cases = [
            ("body", json!([1])),
            ("primaryType", altered(|b| b["primaryType"] = json!("Mint"))),
            (
                "primaryType",
                altered(|b| drop(b.as_object_mut().unwrap().remove("primaryType"))),
            ),
            ("message", altered(|b| b["message"] = json!("x"))),
            (
                "message.to",
                altered(|b| drop(b["message"].as_object_mut().unwrap().remove("to"))),
            ),
            (
                "message.from",
                altered(|b| b["message"]["from"] = json!(4294967296u64)),
            ),
            (
                "message.token",
                altered(|b| b["message"]["token"] = json!(-1)),
            ),
            (
                "message.amount",
                altered(|b| {
                    b["message"]["amount"] = json!("340282366920938463463374607431768211456")
                }),
            ),
            ("message.fee", altered(|b| b["message"]["fee"] = json!(1.5))),
            (
                "message.nonce",
                altered(|b| b["message"]["nonce"] = json!("seven")),
            ),
            ("signature", altered(|b| b["signature"] = json!("0x1234"))),
            ("signature", altered(|b| b["signature"] = json!("nothex"))),
            (
                "domain.chainId",
                altered(|b| {
                    b["domain"] = domain_with(1, "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
                }),
            ),
            (
                "domain.verifyingContract",
                altered(|b| {
                    b["domain"] = domain_with(31337, "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
                }),
            ),
            (
                "domain.name",
                altered(|b| b["domain"] = json!({ "name": "Other" })),
            ),
        ];
        for (field, body) in cases {
            let err = parse(&body, &domain()).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }
}

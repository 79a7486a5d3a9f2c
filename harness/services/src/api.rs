//! The sequencer's HTTP JSON API (docs/API.md): submit a signed transaction,
//! read its fate, read accounts, read the rollup's status and the EIP-712
//! types a wallet signs. Every refusal is a 4xx with `{"error", "field"}`.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{
        Path, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use bulwark_engine::{AccountIndex, Address, B256, Outcome, WithdrawalIndex};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    sequencer::{Fate, Refusal, Shared, Submitted},
    submit,
};

/// The API's routes over the service's shared state.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/eip712", get(eip712))
        .route("/v1/transactions", post(submit_tx))
        .route("/v1/transactions/{hash}", get(transaction))
        .route("/v1/withdrawals/{hash}", get(withdrawal))
        .route("/v1/accounts", get(accounts_of))
        .route("/v1/accounts/{index}", get(account))
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "path", "no such route") })
        .method_not_allowed_fallback(|| async {
            refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "method",
                "this route does not take that method",
            )
        })
        .with_state(shared)
}

fn refuse(status: StatusCode, field: &str, error: impl std::fmt::Display) -> Response {
    (
        status,
        Json(json!({ "error": error.to_string(), "field": field })),
    )
        .into_response()
}

async fn status(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let book = shared.book.lock().expect("book lock");
    Json(json!({
        "chainId": shared.deployment.chain_id,
        "rollup": shared.deployment.rollup.to_checksum(None),
        "bridge": shared.deployment.bridge.to_checksum(None),
        "tip": book.tip,
        "lastFinalized": book.last_finalized,
        "stateRoot": book.state.root(),
        "pending": book.pool.len(),
    }))
}

async fn eip712(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(submit::typed_data_skeleton(&shared.domain))
}

async fn submit_tx(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return refuse(rejection.status(), "body", rejection.body_text()),
    };
    let submission = match submit::parse(&body, &shared.domain) {
        Ok(s) => s,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.field, &e.reason),
    };
    // The journal's fsync blocks: run it where blocking is expected.
    let book = Arc::clone(&shared);
    let submitted = match tokio::task::spawn_blocking(move || book.submit(submission)).await {
        Ok(submitted) => submitted,
        Err(e) => {
            tracing::error!(error = %e, "submission task failed");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "body",
                "submission failed",
            );
        }
    };
    match submitted {
        Ok(Submitted::Accepted) => (
            StatusCode::ACCEPTED,
            Json(fate_json(&submission.hash, &Fate::Pending)),
        )
            .into_response(),
        Ok(Submitted::Known(fate)) => {
            (StatusCode::OK, Json(fate_json(&submission.hash, &fate))).into_response()
        }
        Err(Refusal::Field(e)) => refuse(StatusCode::BAD_REQUEST, &e.field, &e.reason),
        Err(e @ Refusal::WouldSkip { field, .. }) => {
            refuse(StatusCode::UNPROCESSABLE_ENTITY, field, &e)
        }
        Err(e @ Refusal::Journal(_)) => {
            tracing::error!(error = %e, "journal write failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "body", &e)
        }
    }
}

fn fate_json(hash: &B256, fate: &Fate) -> Value {
    match fate {
        Fate::Pending => json!({ "hash": hash, "status": "pending" }),
        Fate::Landed {
            batch,
            step,
            outcome,
            final_,
        } => {
            let mut v = json!({
                "hash": hash,
                "status": if *final_ { "final" } else { "committed" },
                "batch": batch,
                "step": step,
            });
            match outcome {
                Outcome::Applied => v["outcome"] = json!("applied"),
                Outcome::Skipped(reason) => {
                    v["outcome"] = json!("skipped");
                    v["reason"] = json!(reason.to_string());
                }
            }
            v
        }
    }
}

async fn transaction(State(shared): State<Arc<Shared>>, Path(hash): Path<String>) -> Response {
    let Ok(hash) = hash.parse::<B256>() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "hash",
            "expected a 32-byte 0x-prefixed hex digest",
        );
    };
    match shared.fate(&hash) {
        Some(fate) => Json(fate_json(&hash, &fate)).into_response(),
        None => refuse(
            StatusCode::NOT_FOUND,
            "hash",
            format!("no transaction {hash}"),
        ),
    }
}

fn account_json(book: &crate::sequencer::Book, index: u32) -> Option<Value> {
    let leaf = book.state.account(AccountIndex(index))?;
    let pending_nonce = book
        .pool_state
        .account(AccountIndex(index))
        .map_or(leaf.nonce, |l| l.nonce);
    Some(json!({
        "index": index,
        "owner": leaf.owner.to_checksum(None),
        "token": leaf.token.0,
        "balance": leaf.balance.to_string(),
        "nonce": leaf.nonce,
        "pendingNonce": pending_nonce,
    }))
}

async fn account(State(shared): State<Arc<Shared>>, Path(index): Path<String>) -> Response {
    let Ok(index) = index.parse::<u32>() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "index",
            "expected an account index (u32)",
        );
    };
    let book = shared.book.lock().expect("book lock");
    match account_json(&book, index) {
        Some(v) => Json(v).into_response(),
        None => refuse(
            StatusCode::NOT_FOUND,
            "index",
            format!("no account #{index}"),
        ),
    }
}

#[derive(Deserialize)]
struct OwnerQuery {
    owner: Option<String>,
}

async fn accounts_of(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<OwnerQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "owner",
            "expected ?owner=0x... once",
        );
    };
    let Some(owner) = q.owner else {
        return refuse(StatusCode::BAD_REQUEST, "owner", "missing ?owner=0x...");
    };
    let Ok(owner) = owner.parse::<Address>() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "owner",
            "expected a 20-byte hex address",
        );
    };
    let book = shared.book.lock().expect("book lock");
    let accounts: Vec<Value> = book
        .state
        .accounts()
        .filter(|(_, leaf)| leaf.owner == owner)
        .filter_map(|(index, _)| account_json(&book, index.0))
        .collect();
    Json(json!({ "owner": owner.to_checksum(None), "accounts": accounts })).into_response()
}

/// A withdrawal and, once its batch is final, the arguments of the Bridge's
/// `finalizeWithdrawal` proving it against the last final batch.
async fn withdrawal(State(shared): State<Arc<Shared>>, Path(hash): Path<String>) -> Response {
    let Ok(hash) = hash.parse::<B256>() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "hash",
            "expected a 32-byte 0x-prefixed hex digest",
        );
    };
    let (landed, last_final, pending) = {
        let book = shared.book.lock().expect("book lock");
        let pending = book.pool.iter().any(|e| e.hash == hash);
        (
            book.landed.get(&hash).copied(),
            book.last_finalized,
            pending,
        )
    };
    let Some(landed) = landed else {
        if pending {
            return Json(json!({ "hash": hash, "status": "pending" })).into_response();
        }
        return refuse(
            StatusCode::NOT_FOUND,
            "hash",
            format!("no transaction {hash}"),
        );
    };
    let Some(index) = landed.withdrawal else {
        return refuse(
            StatusCode::NOT_FOUND,
            "hash",
            format!("{hash} is not an applied withdrawal"),
        );
    };
    let mut answer = json!({
        "hash": hash,
        "status": if landed.batch <= last_final { "final" } else { "committed" },
        "batch": landed.batch,
        "withdrawal": index,
    });
    if landed.batch > last_final {
        return Json(answer).into_response();
    }
    let view = match shared.final_state(last_final).await {
        Ok(view) => view,
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "hash",
                format!("rebuilding the final state: {e}"),
            );
        }
    };
    let Some(proof) = u32::try_from(index)
        .ok()
        .and_then(|i| view.state.withdrawal_proof(WithdrawalIndex(i)))
    else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "hash",
            "the final state lacks the withdrawal",
        );
    };
    let post = view.state.preimage();
    answer["finalizeWithdrawal"] = json!({
        "batchIndex": view.batch,
        "post": {
            "accountsRoot": post.accounts_root,
            "withdrawalsRoot": post.withdrawals_root,
            "nextAccountIndex": post.next_account_index,
            "msgsConsumed": post.msgs_consumed,
            "withdrawalCount": post.withdrawal_count,
        },
        "leaf": {
            "index": proof.leaf.index.0,
            "recipient": proof.leaf.recipient.to_checksum(None),
            "token": proof.leaf.token.0,
            "amount": proof.leaf.amount.to_string(),
        },
        "proof": proof.siblings.to_vec(),
    });
    Json(answer).into_response()
}

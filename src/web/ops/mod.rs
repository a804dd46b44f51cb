//! Operator endpoints: `/readyz` (status code public, details for operators) and `/metrics`.
//!
//! Operators are callers with `Authorization: Bearer <ops.token>`, or processes on this
//! machine (see [`access::allowed`]). Everyone else gets the readiness status code and nothing
//! more, and `/metrics` answers them 404 like any unknown path: the numbers reveal traffic and
//! account state, and a public answer would only tell a stranger where to push.

mod access;
pub mod details;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::metrics::{AccountReadings, Readings};
use crate::web::AppState;
use crate::web::WebError;
use crate::web::error::{codes, json_error};
use details::{Readiness, gather};

/// Registers `/readyz` and `/metrics`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get_and_head("/readyz", readyz))
        .service(super::get_and_head("/metrics", metrics));
}

fn is_operator(req: &HttpRequest, state: &AppState) -> bool {
    access::allowed(&access::Caller::of(req), state.settings.ops.token.as_ref())
}

/// 200 when a feed can be served (a snapshot is held), 503 otherwise; the details only for
/// operators.
async fn readyz(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let readiness = if is_operator(&req, &state) {
        gather(&state).await
    } else {
        let ready = state
            .accounts
            .default_account()
            .is_some_and(|a| a.feed.peek().is_some());
        Readiness {
            status: if ready {
                details::READY
            } else {
                details::NOT_READY
            }
            .into(),
            details: None,
        }
    };
    let status = if readiness.status == details::READY {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(readiness)
}

/// Prometheus text format; 404 for non-operators.
async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    if !is_operator(&req, &state) {
        tracing::debug!("refused /metrics: no ops token and not from loopback");
        return Ok(json_error(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            "no such resource",
        ));
    }
    let readings = readings(&gather(&state).await);
    let body = state
        .metrics
        .render(&readings)
        .map_err(|e| WebError::Unexpected(anyhow::anyhow!("cannot render metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, crate::metrics::CONTENT_TYPE))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The scrape-time gauges, from the same document `/readyz` shows: one set per account,
/// labelled with its feed name (see [`AccountReadings::account`]).
fn readings(readiness: &Readiness) -> Readings {
    let Some(details) = &readiness.details else {
        return Readings::default();
    };
    Readings {
        accounts: details
            .accounts
            .iter()
            .map(|a| {
                let token = a.token.as_ref();
                AccountReadings {
                    account: a.feed_name.clone(),
                    token_expiry_seconds: token
                        .and_then(|t| t.seconds_until_expiry)
                        .map(|s| s as f64),
                    token_needs_reconnect: token.map(|_| a.reconnect.is_some()),
                    feed_age_seconds: a.feed.age_seconds.map(|s| s as f64),
                    feed_stale: a.feed.stale,
                }
            })
            .collect(),
    }
}

//! The sandbox's route table: Instagram's hosts folded onto one origin.

mod cdn;
mod control;
mod graph;
mod oauth;
mod token;

use actix_web::{HttpRequest, web};

/// Registers every sandbox route; unmatched requests are Graph calls.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/authorize", web::get().to(oauth::dialog))
        .route("/oauth/authorize", web::post().to(oauth::decide))
        .route("/oauth/access_token", web::post().to(token::code_exchange))
        .route("/cdn/{tail:.*}", web::get().to(cdn::serve))
        .configure(control::configure)
        .default_service(web::to(graph::dispatch));
}

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body).
///
/// Decoding never fails, so hostile input yields odd values, not errors; order is kept
/// because paging links repeat parameters in the order they came.
pub(crate) fn form_pairs(text: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text).into_owned().collect()
}

/// The first value of `key`, as a web form would submit it.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The access token from `access_token=` or, failing that, `Authorization: Bearer`.
pub(crate) fn token_of(req: &HttpRequest, pairs: &[(String, String)]) -> Option<String> {
    if let Some(token) = param(pairs, "access_token").filter(|t| !t.is_empty()) {
        return Some(token.to_owned());
    }
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let (scheme, token) = header.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

//! `/api/v1/feeds`: the feed definitions (every account's own feed and the owner's), read,
//! created or replaced, and deleted. The body and the answers are a contract (DESIGN.md,
//! "Admin API"; `schema/feed-definition.schema.json`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Value, json};

use super::ApiCaller;
use crate::feed::definition::{FeedDefinition, parse_name};
use crate::feeds::{DeleteError, SaveError};
use crate::web::error::{codes, json_error};
use crate::web::{AppState, WebError};

/// Largest definition body: 1000 links of a few hundred bytes fit with room to spare.
pub(super) const BODY_LIMIT: usize = 512 * 1024;

/// Error code of a definition the API refuses (with the field at fault).
const INVALID_FEED: &str = "invalid-feed";
/// Error code of a DELETE of an account's own feed.
const FEED_IN_USE: &str = "feed-in-use";

#[derive(Serialize)]
struct FeedList<'a> {
    feeds: Vec<&'a FeedDefinition>,
}

pub(super) async fn list(_: ApiCaller, state: web::Data<AppState>) -> HttpResponse {
    let definitions = state.feeds.definitions();
    let feeds = definitions.iter().map(AsRef::as_ref).collect();
    no_store(HttpResponse::Ok()).json(FeedList { feeds })
}

pub(super) async fn get(
    _: ApiCaller,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let name = known_name(&name)?;
    let definition = state
        .feeds
        .definition(&name)
        .ok_or_else(|| unknown(&name))?;
    Ok(no_store(HttpResponse::Ok()).json(definition.as_ref()))
}

pub(super) async fn put(
    _: ApiCaller,
    name: web::Path<String>,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let Some(name) = parse_name(&name) else {
        return Ok(invalid(
            "name",
            "must be a feed name: 1 to 64 letters, digits, `.`, `_` or `-`",
        ));
    };
    match state.feeds.save(&name, &body).await {
        Ok((created, definition)) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(no_store(HttpResponse::build(status)).json(definition.as_ref()))
        }
        Err(SaveError::Invalid(error)) => Ok(invalid(&error.field, &error.message)),
        Err(SaveError::Storage(error)) => Err(WebError::Unexpected(error.into())),
    }
}

pub(super) async fn delete(
    _: ApiCaller,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let name = known_name(&name)?;
    match state.feeds.delete(&name).await {
        Ok(()) => Ok(no_store(HttpResponse::NoContent()).finish()),
        Err(DeleteError::Unknown(name)) => Err(unknown(&name)),
        Err(error @ DeleteError::InUse(_)) => Ok(json_error(
            StatusCode::CONFLICT,
            FEED_IN_USE,
            &error.to_string(),
        )),
        Err(DeleteError::Storage(error)) => Err(WebError::Unexpected(error.into())),
    }
}

/// A name from the path; one that cannot be a feed's is simply no feed.
fn known_name(raw: &str) -> Result<String, WebError> {
    parse_name(raw).ok_or_else(|| unknown(raw))
}

fn unknown(name: &str) -> WebError {
    let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
    WebError::client(
        StatusCode::NOT_FOUND,
        codes::UNKNOWN_FEED,
        format!("no feed is called `{shown}`"),
    )
}

/// 422 naming the field at fault.
fn invalid(field: &str, message: &str) -> HttpResponse {
    no_store(HttpResponse::UnprocessableEntity()).json(json!({
        "error": {
            "code": INVALID_FEED,
            "message": if field.is_empty() { message.to_owned() } else { format!("`{field}` {message}") },
            "field": field,
        }
    }))
}

fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header(("Cache-Control", "no-store"));
    builder
}

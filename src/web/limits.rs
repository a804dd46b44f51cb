//! What one client may make igfeed hold while it is being asked something: the size of the
//! request's header fields (`server.max_header_bytes`, 431) and the time its body may take to
//! arrive (`server.body_timeout`, 408). When igfeed faces the internet directly, a client
//! sending a body a byte at a time would otherwise keep its connection (and a file
//! descriptor) forever: actix bounds the time to receive a request *head*
//! (`client_request_timeout`) but not its body.
//!
//! The header limit lives here rather than in actix because actix-http's only bound is the
//! 128 KiB read buffer of its h1 decoder (a fixed constant, answered with a bare 431): heads
//! below it reach the application whole, so this is where a lower, documented limit with the
//! JSON error shape can be enforced. Only header fields count — a long URL is a different
//! problem (and some feed queries are legitimately long).

use std::cell::Cell;
use std::future::Future as _;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage as _, HttpResponse};
use futures_util::Stream;
use tokio::time::Sleep;

use super::error::{codes, json_error};
use super::{AppState, WebError};

/// Middleware body: refuses oversized header fields, and gives the body a deadline.
///
/// Requests without a body (nearly every visitor's) pay for one pass over their headers.
pub async fn enforce_request_limits(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some((max_header_bytes, body_timeout)) =
        req.app_data::<web::Data<AppState>>().map(|state| {
            (
                state.settings.server.max_header_bytes,
                state.settings.server.body_timeout,
            )
        })
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let header_bytes = header_field_bytes(req.headers());
    if header_bytes > max_header_bytes {
        let answer = closing(json_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            codes::HEADERS_TOO_LARGE,
            &format!("the request's header fields exceed {max_header_bytes} bytes"),
        ));
        return Ok(req.into_response(answer).map_into_right_body());
    }
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let expired = Rc::new(Cell::new(false));
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(BodyDeadline {
        inner: payload,
        deadline: Box::pin(tokio::time::sleep(body_timeout)),
        expired: expired.clone(),
        finished: false,
    });
    req.set_payload(Payload::from(stream));
    // Whatever the handler made of the failed body (a 400 from a form extractor, an error),
    // the caller is told the truth: it was too slow. (The request cannot be kept aside for
    // this: routing needs to own it alone.)
    match next.call(req).await {
        Ok(response) if !expired.get() => Ok(response.map_into_left_body()),
        Ok(response) => {
            let (request, _) = response.into_parts();
            Ok(ServiceResponse::new(request, timed_out(body_timeout)).map_into_right_body())
        }
        // The body is unread, so actix closes the connection after this answer by itself.
        Err(_) if expired.get() => Err(WebError::client(
            StatusCode::REQUEST_TIMEOUT,
            codes::REQUEST_TIMEOUT,
            timed_out_message(body_timeout),
        )
        .into()),
        Err(error) => Err(error),
    }
}

/// Bytes of the header fields as sent: `name: value\r\n` each.
fn header_field_bytes(headers: &HeaderMap) -> u64 {
    headers
        .iter()
        .map(|(name, value)| (name.as_str().len() + value.len() + 4) as u64)
        .sum()
}

fn timed_out(body_timeout: Duration) -> HttpResponse {
    closing(json_error(
        StatusCode::REQUEST_TIMEOUT,
        codes::REQUEST_TIMEOUT,
        &timed_out_message(body_timeout),
    ))
}

fn timed_out_message(body_timeout: Duration) -> String {
    format!(
        "the request body did not arrive within {}",
        humantime::format_duration(body_timeout)
    )
}

/// Marks an answer as the connection's last: the rest of the request is never read, so the
/// connection cannot carry another one (actix closes it anyway; the header says so).
fn closing(mut response: HttpResponse) -> HttpResponse {
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    response
}

/// The request body, failing once `deadline` passes before it has all arrived.
struct BodyDeadline {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    /// Set when the deadline failed the body, for the middleware to answer 408.
    expired: Rc<Cell<bool>>,
    /// The body ended (or failed) before the deadline: the deadline no longer applies.
    finished: bool,
}

impl Stream for BodyDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.finished || this.expired.get() {
            return Poll::Ready(None);
        }
        // Checked first: a client trickling bytes has something ready at every poll.
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        let next = Pin::new(&mut this.inner).poll_next(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            this.finished = true;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    #[test]
    fn header_fields_count_as_sent() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("host"),
            HeaderValue::from_static("a.example"),
        );
        // "host: a.example\r\n"
        assert_eq!(header_field_bytes(&headers), 17);
    }
}

//! Videos streamed through igfeed (`media.proxy_video`): at most `media.max_video_streams` at
//! once (the next visitor is told to come back rather than queued behind streams that may last
//! minutes), each ended at `media.video_stream_timeout` however slowly either side reads.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt as _};
use reqwest::header::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::fetch::FetchError;
use super::{MediaError, MediaService};
use crate::media::key::Target;

/// Longest `Range` header passed to the CDN; real players send a few dozen bytes.
const MAX_RANGE_LEN: usize = 100;

/// The limits every video stream runs under.
pub(super) struct VideoLimits {
    /// Streams at once; a permit is held from the CDN request until the body is dropped.
    pub streams: Arc<Semaphore>,
    /// Whole life of one stream, from the CDN request to its last byte.
    pub deadline: Duration,
    /// Longest wait for the CDN's answer head (connect and first byte).
    pub first_byte: Duration,
}

/// A video the CDN agreed to send (200 or 206), holding its place among the streams.
pub struct VideoStream {
    response: reqwest::Response,
    permit: OwnedSemaphorePermit,
    ends_at: Instant,
}

impl VideoStream {
    /// The CDN's status: 200, or 206 for a range.
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// The CDN's headers (the caller picks those a player needs).
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The body, chunk by chunk; it fails (so the connection is closed, not left looking
    /// complete) when the CDN breaks off or the stream's deadline passes.
    pub fn into_body(self) -> impl Stream<Item = Result<Bytes, io::Error>> + 'static {
        let state = Body {
            chunks: Box::pin(self.response.bytes_stream()),
            deadline: Box::pin(tokio::time::sleep_until(self.ends_at)),
            _permit: self.permit,
        };
        futures_util::stream::unfold(Some(state), |state| async move {
            let mut body = state?;
            tokio::select! {
                chunk = body.chunks.next() => match chunk {
                    Some(Ok(bytes)) => Some((Ok(bytes), Some(body))),
                    Some(Err(_)) => Some((Err(io::Error::other("the CDN stream broke")), None)),
                    None => None,
                },
                () = &mut body.deadline => {
                    tracing::info!("a video stream reached media.video_stream_timeout and was ended");
                    Some((Err(io::Error::other("the video stream's deadline passed")), None))
                }
            }
        })
    }
}

/// What a stream holds while it runs; dropping it frees the stream's place.
struct Body {
    chunks: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl MediaService {
    /// Starts streaming the video of `target`, passing a well-formed `range` upstream.
    pub async fn video(
        &self,
        target: &Target,
        range: Option<&str>,
    ) -> Result<VideoStream, MediaError> {
        let inner = &self.inner;
        if !inner.proxy_video {
            return Err(MediaError::VideoOff);
        }
        let resolved = self.resolve(target).await?;
        let url = resolved.video.as_deref().ok_or(MediaError::NotFound)?;
        let limits = &inner.video;
        let permit = limits
            .streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| MediaError::Busy)?;
        let ends_at = Instant::now() + limits.deadline;
        let first_byte = limits.first_byte.min(limits.deadline);
        let request = inner
            .cdn
            .video(url, range.filter(|r| plausible_range(r)), inner.clock.now());
        let answer = tokio::time::timeout(first_byte, request)
            .await
            .unwrap_or_else(|_| Err(FetchError::Upstream("timed out".into())));
        match answer {
            Ok(response) => Ok(VideoStream {
                response,
                permit,
                ends_at,
            }),
            Err(FetchError::Expired) => {
                self.queue_heal(&resolved.heal_id);
                Err(MediaError::Renewing)
            }
            Err(FetchError::RangeNotSatisfiable(length)) => {
                Err(MediaError::RangeNotSatisfiable(length))
            }
            Err(error) => Err(MediaError::Upstream(error.to_string())),
        }
    }
}

/// A single or multiple byte range in the only unit CDNs know; anything else is ignored (as
/// RFC 9110 says of a Range header a server does not understand) rather than sent on.
fn plausible_range(range: &str) -> bool {
    range.len() <= MAX_RANGE_LEN
        && range.strip_prefix("bytes=").is_some_and(|spec| {
            !spec.is_empty()
                && spec
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b',' | b' '))
        })
}

#[cfg(test)]
mod tests {
    use super::plausible_range;

    #[test]
    fn only_short_byte_ranges_are_passed_on() {
        for good in ["bytes=0-", "bytes=0-9", "bytes=-500", "bytes=0-1, 5-9"] {
            assert!(plausible_range(good), "{good}");
        }
        let long = format!("bytes=0-{}", "9".repeat(200));
        for bad in [
            "",
            "bytes=",
            "items=0-9",
            "bytes=0-9\r\nX: y",
            "bytes=a-b",
            &long,
        ] {
            assert!(!plausible_range(bad), "{bad}");
        }
    }
}

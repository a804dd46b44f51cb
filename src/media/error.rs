//! Why an image or video cannot be served; the web layer turns each into a JSON error.

use super::key::BadPath;

/// A media request that cannot be answered with the file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MediaError {
    /// The path is not one igfeed hands out.
    #[error("{0}")]
    BadPath(BadPath),
    /// The width is not one of `media.sizes`.
    #[error("this width is not served; see `sizes` in /feed.json")]
    UnknownSize,
    /// A format igfeed does not make (`media.formats`).
    #[error("this format is not served; see `sources` in /feed.json")]
    UnknownFormat,
    /// No such post, item or image in the current feed.
    #[error("no such media in the feed")]
    NotFound,
    /// Videos are not proxied (`media.proxy_video` is off).
    #[error("videos are not served by igfeed; link the post's permalink")]
    VideoOff,
    /// The CDN URL expired and the image was never downloaded; the refresher renews it.
    #[error("this image is being renewed; try again shortly")]
    Renewing,
    /// Every video stream is taken (`media.max_video_streams`).
    #[error("too many videos are streaming right now; try again shortly")]
    Busy,
    /// The CDN cannot serve the requested byte range; the video's length, when it said.
    #[error("the requested range is not within the video")]
    RangeNotSatisfiable(Option<u64>),
    /// Instagram's CDN failed or answered something unacceptable.
    #[error("Instagram's CDN did not deliver this media")]
    Upstream(String),
    /// igfeed's own fault (a task failed).
    #[error("unexpected error")]
    Internal(String),
}

impl From<BadPath> for MediaError {
    fn from(bad: BadPath) -> Self {
        MediaError::BadPath(bad)
    }
}

//! A response body prepared once per snapshot: the JSON, its gzip and brotli forms, and a
//! strong ETag for each, so serving `/feed.json` is a matter of picking ready bytes.
//!
//! [`PreparedBody::new`] compresses at the highest settings because it runs once per refresh,
//! not per request: brotli at quality 11 takes a few hundred milliseconds on a 100-post feed,
//! so call it off the async runtime (`spawn_blocking`). Bodies built because of a visitor's
//! query (`?limit=`, `?after=`) use [`PreparedBody::new_fast`] instead (about 100 times
//! cheaper, a few percent larger), so nobody can make igfeed burn CPU by varying parameters.

use std::io::Write as _;

use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How hard to compress, and the ETag suffixes that tell the resulting bytes apart (a strong
/// ETag promises identical bytes, so differently compressed bodies need different tags).
struct Effort {
    gzip_level: u32,
    brotli_quality: i32,
    brotli_window: i32,
    gzip_suffix: &'static str,
    brotli_suffix: &'static str,
}

/// Densest settings (brotli 11 with a 4 MiB window covering a whole document): once per refresh.
const ONCE_PER_REFRESH: Effort = Effort {
    gzip_level: 9,
    brotli_quality: 11,
    brotli_window: 22,
    gzip_suffix: "gz",
    brotli_suffix: "br",
};

/// Cheap settings for bodies a visitor's query caused: milliseconds, not hundreds of them.
const PER_REQUEST: Effort = Effort {
    gzip_level: 6,
    brotli_quality: 5,
    brotli_window: 20,
    gzip_suffix: "gzf",
    brotli_suffix: "brf",
};

/// Bodies built because a visitor asked for them (a page with chosen options) are built here:
/// on the blocking pool, so serialising and compressing never holds up an async worker that
/// other visitors' cache hits need, and a few at a time, so a caller cycling through options
/// can keep at most that many threads busy however many requests it sends.
pub struct RenderSlots {
    slots: tokio::sync::Semaphore,
}

impl RenderSlots {
    /// At most `concurrent` builds at once.
    pub fn new(concurrent: usize) -> Self {
        Self {
            slots: tokio::sync::Semaphore::new(concurrent.max(1)),
        }
    }

    /// Runs `build` once a slot is free; `None` if it panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        build: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _slot = self.slots.acquire().await.ok()?;
        tokio::task::spawn_blocking(build).await.ok()
    }
}

/// One document in every encoding igfeed serves, each with its own ETag. The ETags are kept
/// as ready header values: they are sent with every answer, and this is the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedBody {
    /// The JSON as is.
    pub json: Bytes,
    /// gzip of `json`.
    pub gzip: Bytes,
    /// brotli of `json`.
    pub brotli: Bytes,
    /// Strong ETag of `json`: `"<hash>"`.
    pub etag_identity: HeaderValue,
    /// ETag of the gzip body: `"<hash>-gz"` (each encoding is a different representation).
    pub etag_gzip: HeaderValue,
    /// ETag of the brotli body: `"<hash>-br"`.
    pub etag_brotli: HeaderValue,
}

impl PreparedBody {
    /// Compresses `json` both ways and derives the ETags from its content, so identical
    /// documents (a refresh that changed nothing, a restart) keep their ETags and clients
    /// keep getting 304s.
    pub fn new(json: Vec<u8>) -> Self {
        Self::with_effort(json, &ONCE_PER_REFRESH)
    }

    /// Like [`PreparedBody::new`] with cheap compression, for bodies built on a visitor's
    /// request; their compressed ETags end in `-gzf` / `-brf`.
    pub fn new_fast(json: Vec<u8>) -> Self {
        Self::with_effort(json, &PER_REQUEST)
    }

    fn with_effort(json: Vec<u8>, effort: &Effort) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, &json);
        // 128 bits are plenty to tell documents apart; base64url keeps the tag short.
        let hash = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
        let gzip = gzip(&json, effort.gzip_level);
        let brotli = brotli(&json, effort);
        Self {
            json: Bytes::from(json),
            gzip: Bytes::from(gzip),
            brotli: Bytes::from(brotli),
            etag_identity: entity_tag(format!("\"{hash}\"")),
            etag_gzip: entity_tag(format!("\"{hash}-{}\"", effort.gzip_suffix)),
            etag_brotli: entity_tag(format!("\"{hash}-{}\"", effort.brotli_suffix)),
        }
    }

    /// Bytes this body holds in memory (every encoding and its ETag), for caches that keep
    /// bodies within a byte budget.
    pub fn weight(&self) -> u32 {
        let bytes = self.json.len()
            + self.gzip.len()
            + self.brotli.len()
            + self.etag_identity.len()
            + self.etag_gzip.len()
            + self.etag_brotli.len()
            + std::mem::size_of::<Self>();
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }

    /// The body and ETag to send for `encoding`.
    pub fn select(&self, encoding: Encoding) -> (&Bytes, &HeaderValue) {
        match encoding {
            Encoding::Identity => (&self.json, &self.etag_identity),
            Encoding::Gzip => (&self.gzip, &self.etag_gzip),
            Encoding::Brotli => (&self.brotli, &self.etag_brotli),
        }
    }
}

/// A quoted base64url hash with an ASCII suffix is always a valid header value.
#[allow(clippy::expect_used)]
fn entity_tag(tag: String) -> HeaderValue {
    HeaderValue::try_from(tag).expect("quoted base64url is a valid header value")
}

// Writing into a Vec cannot fail, so the only errors these encoders could report do not occur.
#[allow(clippy::expect_used)]
fn gzip(json: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder
        .write_all(json)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory cannot fail")
}

#[allow(clippy::expect_used)]
fn brotli(json: &[u8], effort: &Effort) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: effort.brotli_quality,
        lgwin: effort.brotli_window,
        // Knowing the size up front lets the encoder pick its block sizes well.
        size_hint: json.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &json[..], &mut out, &params)
        .expect("brotli into memory cannot fail");
    out
}

/// A content coding igfeed can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No compression.
    Identity,
    /// `gzip`.
    Gzip,
    /// `br`.
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` header value, `None` for identity (no header).
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// Picks the encoding for an `Accept-Encoding` header (RFC 9110 §12.5.3): the highest q-value
/// wins, ties go to br, then gzip, then identity. No header, an unreadable one, or one that
/// refuses everything igfeed has all give identity: a readable answer beats a 406.
pub fn negotiate(accept_encoding: Option<&str>) -> Encoding {
    let Some(header) = accept_encoding else {
        return Encoding::Identity;
    };
    // q-values in thousandths; None = not mentioned.
    let (mut br, mut gzip, mut identity, mut star) = (None, None, None, None);
    for element in header.split(',') {
        let mut parts = element.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let Some(q) = parts.try_fold(1000, |q, param| parse_param(param, q)) else {
            continue; // an element with a bad parameter says nothing usable
        };
        let is = |name: &str| coding.eq_ignore_ascii_case(name);
        let slot = if is("br") {
            &mut br
        } else if is("gzip") || is("x-gzip") {
            &mut gzip
        } else if is("identity") {
            &mut identity
        } else if coding == "*" {
            &mut star
        } else {
            continue;
        };
        // If a coding is listed twice, believe the more cautious entry.
        *slot = Some(slot.map_or(q, |old: u16| old.min(q)));
    }
    // `*` covers what is not listed.
    let br = br.or(star).unwrap_or(0);
    let gzip = gzip.or(star).unwrap_or(0);
    // Identity is acceptable unless refused; left implicit it yields to any listed coding.
    let identity = identity.or(star).unwrap_or(1);
    let best = [
        (br, Encoding::Brotli),
        (gzip, Encoding::Gzip),
        (identity, Encoding::Identity),
    ]
    .into_iter()
    .filter(|&(q, _)| q > 0)
    .fold(None, |best: Option<(u16, Encoding)>, cand| match best {
        Some(b) if b.0 >= cand.0 => Some(b),
        _ => Some(cand),
    });
    best.map_or(Encoding::Identity, |(_, e)| e)
}

/// Reads one `;param`: `q=` updates the weight, other parameters are ignored; `None` for a
/// malformed q-value.
fn parse_param(param: &str, q: u16) -> Option<u16> {
    match param.trim().split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("q") => parse_qvalue(value.trim()),
        _ => Some(q),
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(raw: &str) -> Option<u16> {
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether `If-None-Match` matches `etag`, by the weak comparison RFC 9110 §13.1.2 prescribes
/// for this header: `W/` prefixes are ignored and the quoted tags compared. `*` matches any
/// current representation. A malformed list matches nothing from the first bad entry on, so
/// junk yields a full response rather than a wrong 304.
pub fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    let Some(header) = if_none_match else {
        return false;
    };
    if header.trim() == "*" {
        return true;
    }
    let wanted = opaque(etag);
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return false;
        }
        let tag = rest.strip_prefix("W/").unwrap_or(rest);
        let Some(body) = tag.strip_prefix('"') else {
            return false;
        };
        let Some(end) = body.find('"') else {
            return false;
        };
        if Some(&body[..end]) == wanted {
            return true;
        }
        rest = &body[end + 1..];
    }
}

/// The part of an entity tag between its quotes, with any `W/` ignored.
fn opaque(etag: &str) -> Option<&str> {
    let etag = etag.trim();
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.strip_prefix('"')?.strip_suffix('"')
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

//! The CDN: real JPEGs behind signed, expiring URLs.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::cdn::{Asset, UrlError};
use crate::mode::Mode;
use crate::picture::Spec;
use crate::posts::{self, Kind, Post};
use crate::state::SandboxState;
use crate::stats::Endpoint;

/// A 28-byte MP4 `ftyp` box: enough for a content sniffer, not a playable video.
const VIDEO_STUB: &[u8] = b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2mp41";

/// `GET /cdn/…`: checks the signature, then the expiry, then serves the picture.
pub(super) async fn serve(req: HttpRequest, state: web::Data<SandboxState>) -> HttpResponse {
    state.record(Endpoint::Cdn);
    let forbidden = |text: &'static str| {
        HttpResponse::build(StatusCode::FORBIDDEN)
            .content_type("text/plain; charset=utf-8")
            .body(text)
    };
    if state.mode() == Mode::CdnExpired {
        return forbidden("URL signature expired");
    }
    match state
        .signer
        .verify(req.path(), req.query_string(), state.now())
    {
        Err(UrlError::BadHash) => return forbidden("Bad URL hash"),
        Err(UrlError::Expired) => return forbidden("URL signature expired"),
        Ok(()) => {}
    }
    let not_found = || {
        HttpResponse::NotFound()
            .content_type("text/plain")
            .body("Not Found")
    };
    let Some(asset) = Asset::from_path(req.path()) else {
        return not_found();
    };
    if state.mode() == Mode::CdnStalled {
        return stalled(&asset);
    }
    if let Asset::Video(id) = &asset {
        return match picture_spec(&state, &Asset::Thumbnail(id.clone())) {
            Some(_) => video(&req),
            None => not_found(),
        };
    }
    let Some(spec) = picture_spec(&state, &asset) else {
        return not_found();
    };
    // Encoding is CPU work; keep it off the async workers.
    let state = state.into_inner();
    match web::block(move || state.pictures.get(&spec)).await {
        Ok(Ok(bytes)) => HttpResponse::Ok()
            .content_type("image/jpeg")
            .insert_header(("Cache-Control", "max-age=1209600, no-transform"))
            .body(bytes),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

/// The video stub, or the one byte range asked for (206), or Instagram's 416 with its HTML
/// body for a range beyond the file. Other range forms are ignored, as HTTP allows.
fn video(req: &HttpRequest) -> HttpResponse {
    let length = VIDEO_STUB.len() as u64;
    let range = req
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .filter(|spec| !spec.contains(','))
        .and_then(|spec| spec.split_once('-'));
    let Some((first, last)) = range else {
        return HttpResponse::Ok()
            .content_type("video/mp4")
            .insert_header(("Accept-Ranges", "bytes"))
            .body(VIDEO_STUB);
    };
    let bounds = match (first.trim().parse::<u64>(), last.trim().parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => Some((first, last.min(length - 1))),
        (Ok(first), Err(_)) if last.trim().is_empty() => Some((first, length - 1)),
        (Err(_), Ok(suffix)) if first.trim().is_empty() && suffix > 0 => {
            Some((length.saturating_sub(suffix), length - 1))
        }
        _ => None,
    };
    match bounds {
        Some((first, last)) if first < length => HttpResponse::PartialContent()
            .content_type("video/mp4")
            .insert_header(("Accept-Ranges", "bytes"))
            .insert_header(("Content-Range", format!("bytes {first}-{last}/{length}")))
            .body(&VIDEO_STUB[first as usize..=last as usize]),
        _ => HttpResponse::build(StatusCode::RANGE_NOT_SATISFIABLE)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Content-Range", format!("bytes */{length}")))
            .body("<html><body><h1>416 Requested Range Not Satisfiable</h1></body></html>"),
    }
}

/// The head and first bytes of `asset`, then silence until the client hangs up.
fn stalled(asset: &Asset) -> HttpResponse {
    let (kind, first): (&str, &'static [u8]) = match asset {
        Asset::Video(_) => ("video/mp4", &VIDEO_STUB[..8]),
        _ => ("image/jpeg", b"\xFF\xD8\xFF"),
    };
    let first = futures_util::stream::once(async move {
        Ok::<_, std::io::Error>(actix_web::web::Bytes::from_static(first))
    });
    HttpResponse::Ok()
        .content_type(kind)
        .streaming(futures_util::StreamExt::chain(
            first,
            futures_util::stream::pending(),
        ))
}

/// What the picture for `asset` shows, if that asset belongs to a published post.
fn picture_spec(state: &SandboxState, asset: &Asset) -> Option<Spec> {
    let (id, video) = match asset {
        Asset::Profile(account) => {
            let inner = state.lock();
            let account = inner.accounts.iter().find(|a| a.index == *account)?;
            return Some(Spec {
                label: String::new(),
                width: 320,
                height: 320,
                seed: account.user_id(),
            });
        }
        Asset::Picture(id) => (id, false),
        Asset::Thumbnail(id) | Asset::Video(id) => (id, true),
    };
    let timeline = |seed| state.lock().find_post(seed);
    if let Some(seed) = posts::seed_of_media_id(id) {
        let post: Post = timeline(seed)?;
        let expected = if video { Kind::Video } else { Kind::Image };
        // An album's own media_url is its first item's, so only non-album posts match here.
        (post.kind == expected).then(|| Spec {
            label: posts::label(seed),
            width: post.aspect.size().0,
            height: post.aspect.size().1,
            seed,
        })
    } else {
        let (seed, position) = posts::seed_of_child_id(id)?;
        let post = timeline(seed)?;
        let child = post.children.get((position as usize).checked_sub(1)?)?;
        let expected = if video { Kind::Video } else { Kind::Image };
        (child.kind == expected).then(|| Spec {
            label: format!("{}.{position}", posts::label(seed)),
            width: post.aspect.size().0,
            height: post.aspect.size().1,
            seed: seed * 10 + position,
        })
    }
}

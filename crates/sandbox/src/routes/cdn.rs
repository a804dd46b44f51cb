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
    if let Asset::Video(id) = &asset {
        return match picture_spec(&state, &Asset::Thumbnail(id.clone())) {
            Some(_) => HttpResponse::Ok()
                .content_type("video/mp4")
                .body(VIDEO_STUB),
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

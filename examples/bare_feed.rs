//! The benchmark's baseline: a bare actix-web handler serving pre-compressed feed bytes with no
//! middleware, no logging, no metrics. `bench/run` compares igfeed's `/feed.json` against it.
//!
//! Usage: `bare_feed PORT FEED.json` (FEED.json.gz and FEED.json.br beside it).

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

struct Bodies {
    json: web::Bytes,
    gzip: web::Bytes,
    brotli: web::Bytes,
}

async fn feed(req: HttpRequest, bodies: web::Data<Bodies>) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (bytes, encoding, etag) = if accept.contains("br") {
        (&bodies.brotli, Some("br"), "\"bare-br\"")
    } else if accept.contains("gzip") {
        (&bodies.gzip, Some("gzip"), "\"bare-gz\"")
    } else {
        (&bodies.json, None, "\"bare\"")
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(encoding) = encoding {
        response.insert_header((header::CONTENT_ENCODING, encoding));
    }
    response.body(bytes.clone())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| std::io::Error::other("usage: bare_feed PORT FEED.json"))?;
    let path = args
        .next()
        .ok_or_else(|| std::io::Error::other("usage: bare_feed PORT FEED.json"))?;
    let read = |suffix: &str| std::fs::read(format!("{path}{suffix}")).map(web::Bytes::from);
    let bodies = web::Data::new(Bodies {
        json: read("")?,
        gzip: read(".gz")?,
        brotli: read(".br")?,
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(bodies.clone())
                .route("/feed.json", web::get().to(feed))
        })
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })
}

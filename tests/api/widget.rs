//! `/widget.js` and the lightbox module: the committed build, served with caching headers.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::helpers::TestEnv;

const WIDGET: &[u8] = include_bytes!("../../static/widget.js");
const LIGHTBOX: &[u8] = include_bytes!("../../static/widget-lightbox.js");

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_widget_files_are_served_with_etag_compression_and_short_caching() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    for (path, file, cors) in [
        ("/widget.js", WIDGET, None),
        ("/widget-lightbox.js", LIGHTBOX, Some("*")),
    ] {
        let plain = app.get(path).await;
        let headers = plain.headers().clone();
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            "text/javascript; charset=utf-8",
            "{path}"
        );
        let cache = header(&headers, "cache-control");
        assert!(
            cache.contains("max-age=300") && cache.contains("stale-while-revalidate="),
            "{path}: {cache}"
        );
        assert_eq!(
            header(&headers, "cross-origin-resource-policy"),
            "cross-origin",
            "{path}"
        );
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            cors,
            "{path}: only the module needs CORS"
        );
        assert!(headers.get("set-cookie").is_none(), "{path}: no cookies");
        let etag = header(&headers, "etag").to_owned();
        assert_eq!(
            plain.bytes().await.expect("body").as_ref(),
            file,
            "{path}: the committed build"
        );

        let br = app
            .http
            .get(format!("{}{path}", app.address))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .expect("answer");
        assert_eq!(header(br.headers(), "content-encoding"), "br", "{path}");
        let br_etag = header(br.headers(), "etag").to_owned();
        assert_ne!(br_etag, etag, "{path}: one ETag per encoding");
        let compressed = br.bytes().await.expect("body");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut compressed.as_ref(), &mut decoded).expect("valid brotli");
        assert_eq!(decoded, file, "{path}: brotli of the same file");

        let revalidated = app
            .http
            .get(format!("{}{path}", app.address))
            .header("accept-encoding", "br")
            .header("if-none-match", &br_etag)
            .send()
            .await
            .expect("answer");
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{path}");

        let head = app
            .http
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .expect("answer");
        assert_eq!(head.status(), StatusCode::OK, "{path}: HEAD");
    }
    app.stop().await;
}

#[test]
fn the_widget_loads_the_lightbox_it_was_built_with() {
    // The build stamps the lightbox's hash into the widget; a stale pair would mean the
    // committed files were not built together.
    let widget = String::from_utf8_lossy(WIDGET);
    let digest = ring::digest::digest(&ring::digest::SHA256, LIGHTBOX);
    let hex: String = digest.as_ref()[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        widget.contains(&format!("widget-lightbox.js?v={hex}")),
        "static/widget.js does not reference lightbox version {hex}: rebuild widget-js"
    );
}

//! `igfeed export --with-media` through the built binary: the document igfeed serves, with
//! every image it names written beside it (relative URLs, or under `--base-url`), decodable
//! at the stated size; a second export changes nothing on disk and a later one removes the
//! files of a post that left the feed; offline, missing images are an error naming what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use igfeed_sandbox::SECOND_USERNAME;
use serde_json::{Value, json};

use super::commands::{igfeed, stderr};
use super::helpers::{TestApp, TestEnv, hours};
use super::media::{feed_until, has_sizes, items};

const API_TOKEN: &str = "api-token-0123456789abcdef0123456789";

/// Small widths keep encoding out of the suite's time; the default width is the larger.
fn small_images(env: &mut TestEnv) {
    env.set("IGFEED__MEDIA__SIZES", "120,240");
    env.set("IGFEED__MEDIA__DEFAULT_SIZE", "240");
}

async fn put_feed(app: &TestApp, name: &str, body: Value) {
    let response = app
        .http
        .put(format!("{}/api/v1/feeds/{name}", app.address))
        .bearer_auth(API_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("the API answers");
    assert!(response.status().is_success(), "{}", response.status());
}

async fn served(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/feed.json{query}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

fn export(env: &TestEnv, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "export",
        "--with-media",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    let output = igfeed(env, &args, "");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn document(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("feed.json")).expect("feed.json")).expect("JSON")
}

/// Every image URL of a document with the width and height it states (`None` where the
/// document states none for that URL: a srcset states only the width).
fn image_urls(doc: &Value) -> Vec<(String, Option<u32>, Option<u32>)> {
    let mut urls = Vec::new();
    let dim = |v: &Value| v.as_u64().map(|n| u32::try_from(n).expect("fits"));
    if let Some(picture) = doc["profile"]["picture"].as_str() {
        urls.push((picture.to_owned(), None, None));
    }
    for post in doc["posts"].as_array().expect("posts") {
        for item in post["media"].as_array().expect("media") {
            if let Some(url) = item["url"].as_str() {
                urls.push((url.to_owned(), dim(&item["width"]), dim(&item["height"])));
            }
            for size in item["sizes"].as_array().expect("sizes") {
                let url = size["url"].as_str().expect("url").to_owned();
                urls.push((url, dim(&size["width"]), dim(&size["height"])));
            }
            for source in item["sources"].as_array().expect("sources") {
                for candidate in source["srcset"].as_str().expect("srcset").split(", ") {
                    let (url, width) = candidate.split_once(' ').expect("url and width");
                    let width = width.strip_suffix('w').and_then(|w| w.parse().ok());
                    urls.push((url.to_owned(), width, None));
                }
            }
        }
    }
    urls
}

/// The pixel size of an exported JPEG or AVIF file (AVIF: its `ispe` box).
fn image_size(bytes: &[u8]) -> (u32, u32) {
    if bytes.get(4..12) == Some(&b"ftypavif"[..]) {
        let at = bytes
            .windows(4)
            .position(|w| w == b"ispe")
            .expect("ispe box");
        let field = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        return (field(at + 8), field(at + 12));
    }
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .expect("a JPEG that decodes");
    (image.width(), image.height())
}

/// Checks that every image URL of `out`'s document (under `prefix`) is a file of the export
/// with the stated size, that the export holds no other image, and that no file holds
/// `token`; returns the files with their modification times.
fn check_export(out: &Path, prefix: &str, token: &str) -> BTreeMap<PathBuf, SystemTime> {
    let doc = document(out);
    let mut named = BTreeSet::new();
    for (url, width, height) in image_urls(&doc) {
        let relative = url
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{url} is under {prefix:?}"));
        assert!(relative.starts_with("media/"), "{url}");
        assert!(
            relative.ends_with(".jpg") || relative.ends_with(".avif"),
            "{url}: an extension a static host knows"
        );
        let path = out.join(relative);
        let bytes = std::fs::read(&path).unwrap_or_else(|_| panic!("{url} is a file"));
        let (w, h) = image_size(&bytes);
        assert!(width.is_none_or(|stated| stated == w), "{url}: {w} px wide");
        assert!(
            height.is_none_or(|stated| stated == h),
            "{url}: {h} px high"
        );
        named.insert(path);
    }
    let files = files_under(out);
    let images: BTreeSet<PathBuf> = files
        .keys()
        .filter(|p| p.starts_with(out.join("media")))
        .cloned()
        .collect();
    assert_eq!(images, named, "the export holds exactly the images named");
    for path in files.keys() {
        let meta = std::fs::metadata(path).expect("metadata");
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o644,
            "{}",
            path.display()
        );
        let bytes = std::fs::read(path).expect("readable");
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} holds the token",
            path.display()
        );
    }
    files
}

fn files_under(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("lists") {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                found.insert(entry.path(), meta.modified().expect("mtime"));
            }
        }
    }
    found
}

/// `/feed.json` as an export writes it: igfeed's `…/media/{path}/{size}[.avif]?[account=…&]v=…`
/// URLs as `media/{path}/{size}.{v}.{jpg|avif}`.
fn as_exported(value: &Value, origin: &str) -> Value {
    match value {
        Value::String(text) => Value::String(
            text.split(' ')
                .map(|token| match token.strip_prefix(&format!("{origin}/")) {
                    Some(local) => {
                        let (path, query) = local.split_once('?').expect("versioned");
                        let version = query
                            .split('&')
                            .find_map(|p| p.strip_prefix("v="))
                            .expect("a version");
                        let (dir, last) = path.rsplit_once('/').expect("a width");
                        let (size, extension) = last.split_once('.').unwrap_or((last, "jpg"));
                        format!("{dir}/{size}.{version}.{extension}")
                    }
                    None => token.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Value::Array(values) => {
            Value::Array(values.iter().map(|v| as_exported(v, origin)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), as_exported(v, origin)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A feed merging two accounts, curated: exported with its images from both accounts'
/// caches, equal to what igfeed serves; a second export writes nothing; hiding a post
/// removes its files and touches no other.
#[tokio::test(flavor = "multi_thread")]
async fn export_with_media_writes_the_served_feed_and_its_images_incrementally() {
    let mut env = TestEnv::start().await;
    small_images(&mut env);
    env.set("IGFEED__FEED__MAX_POSTS", "4");
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "4");
    env.set("IGFEED__ADMIN__API_TOKEN", API_TOKEN);
    let (app, token) = env.spawn_connected().await;
    let (_, other_token) = env.connect_other(&app, SECOND_USERNAME, hours(1)).await;
    let first = served(&app, "").await;
    let hidden = first["posts"][1]["id"].clone();
    let body = json!({"accounts": ["sandbox.studio", SECOND_USERNAME], "hidden": [hidden], "max_posts": 20});
    put_feed(&app, "shop", body).await;
    let cached = |feed: &Value| {
        feed["profile"]["picture_color"].is_string() && items(feed).iter().all(has_sizes)
    };
    feed_until(&app, "every image of the first account cached", cached).await;
    let other = format!("?feed={SECOND_USERNAME}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !cached(&served(&app, &other).await) {
        assert!(
            std::time::Instant::now() < deadline,
            "the second account's images"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let shop = served(&app, "?feed=shop&limit=100").await;
    let posts = shop["posts"].as_array().expect("posts").len();
    assert!(posts >= 6, "posts of both accounts: {posts}");

    let site = tempfile::tempdir().expect("tempdir");
    let out = site.path().join("site");
    let said = export(&env, &out, &["--feed", "shop", "--offline"]);
    assert!(said.contains(&format!("exported {posts} posts")), "{said}");
    let mut expected = as_exported(&shop, &app.address);
    expected["next"] = Value::Null;
    assert_eq!(
        document(&out),
        expected,
        "what igfeed serves, with the export's URLs"
    );
    let before = check_export(&out, "", &token);
    assert!(
        before.keys().all(
            |p| !String::from_utf8_lossy(&std::fs::read(p).expect("read")).contains(&other_token)
        ),
        "neither account's token"
    );

    let said = export(&env, &out, &["--feed", "shop", "--offline"]);
    assert!(said.contains("(0 written"), "{said}");
    assert_eq!(
        files_under(&out),
        before,
        "nothing rewritten: same files, same times"
    );

    let gone = shop["posts"][0]["id"].as_str().expect("id").to_owned();
    put_feed(
        &app,
        "shop",
        json!({"accounts": ["sandbox.studio", SECOND_USERNAME], "hidden": [hidden, gone], "max_posts": 20}),
    )
    .await;
    let said = export(&env, &out, &["--feed", "shop", "--offline"]);
    let after = check_export(&out, "", &token);
    assert!(!out.join("media").join(&gone).exists(), "{said}");
    let removed: Vec<&PathBuf> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(
        !removed.is_empty()
            && removed
                .iter()
                .all(|p| p.starts_with(out.join("media").join(&gone)))
    );
    for (path, modified) in &after {
        if !path.ends_with("feed.json") {
            assert_eq!(
                before.get(path),
                Some(modified),
                "{} untouched",
                path.display()
            );
        }
    }
    assert_ne!(
        after[&out.join("feed.json")],
        before[&out.join("feed.json")]
    );
    app.stop().await;
}

/// Nothing cached and online: every image is downloaded from the CDN URL igfeed fetched and
/// rendered as igfeed would; `--base-url` makes the URLs absolute.
#[tokio::test(flavor = "multi_thread")]
async fn export_with_media_downloads_what_igfeed_has_not_cached_and_takes_a_base_url() {
    let mut env = TestEnv::start().await;
    small_images(&mut env);
    env.set("IGFEED__FEED__MAX_POSTS", "4");
    let token = env.store_credentials(hours(1));
    let site = tempfile::tempdir().expect("tempdir");
    let said = export(
        &env,
        site.path(),
        &["--base-url", "https://static.example/instagram"],
    );
    let doc = document(site.path());
    let images = image_urls(&doc).len();
    assert!(images > 4, "{said}");
    assert!(said.contains("images downloaded"), "{said}");
    assert!(!said.contains(" 0 images downloaded"), "{said}");
    check_export(site.path(), "https://static.example/instagram/", &token);
    assert_eq!(doc["posts"].as_array().map(Vec::len), Some(4));
}

/// Offline with an empty media cache: an error saying how many images are missing and what to
/// do, and nothing written; `--out` naming a file is refused.
#[tokio::test(flavor = "multi_thread")]
async fn offline_export_with_media_refuses_when_images_are_not_cached() {
    let env = TestEnv::start().await;
    // Fetch-ahead off (the tests' default): the feed is stored, no image is.
    let (app, _) = env.spawn_connected().await;
    app.stop().await;
    let site = tempfile::tempdir().expect("tempdir");
    let out = site.path().join("site");
    let args = [
        "export",
        "--offline",
        "--with-media",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    let refused = igfeed(&env, &args, "");
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert!(said.contains("are not in igfeed's media cache"), "{said}");
    assert!(said.contains("export without --offline"), "{said}");
    assert!(!out.join("feed.json").exists(), "nothing published");

    let file = site.path().join("feed.json");
    std::fs::write(&file, "{}").expect("a file");
    let args = [
        "export",
        "--with-media",
        "--out",
        file.to_str().expect("utf-8"),
    ];
    let refused = igfeed(&env, &args, "");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("is not a directory"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "{}");
    for bad in ["ftp://x/", "media/", "https://x/?a=b", "/a/../b"] {
        let args = [
            "export",
            "--with-media",
            "--out",
            out.to_str().expect("utf-8"),
            "--base-url",
            bad,
        ];
        let refused = igfeed(&env, &args, "");
        assert!(!refused.status.success(), "{bad}");
        assert!(
            stderr(&refused).contains("--base-url"),
            "{bad}: {}",
            stderr(&refused)
        );
    }
}

/// AVIF igfeed has made is exported beside the JPEG, in `sources`, as `.avif` files.
#[tokio::test(flavor = "multi_thread")]
async fn export_with_media_ships_the_avif_igfeed_has_made() {
    let mut env = TestEnv::start().await;
    small_images(&mut env);
    env.set("IGFEED__FEED__MAX_POSTS", "2");
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "2");
    env.set("IGFEED__MEDIA__FORMATS", "avif");
    let (app, token) = env.spawn_connected().await;
    feed_until(&app, "every image's AVIF", |f| {
        items(f)
            .iter()
            .all(|m| m["sources"].as_array().is_some_and(|s| !s.is_empty()))
    })
    .await;
    app.stop().await;
    let site = tempfile::tempdir().expect("tempdir");
    export(&env, site.path(), &["--offline"]);
    check_export(site.path(), "", &token);
    let doc = document(site.path());
    let avif = image_urls(&doc)
        .into_iter()
        .filter(|(url, ..)| url.ends_with(".avif"))
        .count();
    assert!(avif >= 4, "two widths of at least two images: {avif}");
}

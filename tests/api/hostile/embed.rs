//! `/embed`: every option at its bounds and beyond.

use super::*;

/// The embed page's `<style>` content must be allowed by the hash its CSP names.
fn assert_style_allowed(what: &str, answer: &Raw) {
    let html = answer.text();
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .unwrap_or_else(|| panic!("{what}: a style element"));
    let digest = ring::digest::digest(&ring::digest::SHA256, style.as_bytes());
    let hash = STANDARD.encode(digest.as_ref());
    let policy = answer.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains(&format!("'sha256-{hash}'")),
        "{what}: style {style:?} not allowed by {policy}"
    );
}

#[tokio::test]
async fn embed_options_at_their_bounds_work_and_beyond_them_are_named() {
    let c = Connected::start(&[]).await;
    let feed = c.feed().await;
    let posts = feed["posts"].as_array().expect("posts").clone();
    let permalink = |i: usize| {
        posts[i]["permalink"]
            .as_str()
            .expect("permalink")
            .to_owned()
    };
    let everything = "limit=100&columns=8&layout=carousel&captions=hover&lightbox=false\
                      &load-more=true&header=false&aspect=original&gap=99.99rem&theme=auto";
    // (query, style that must be on the page, posts shown)
    let fine: Vec<(&str, &str, usize)> = vec![
        ("limit=1", "--cols:3", 1),
        ("limit=100", "--cols:3", posts.len()),
        ("limit=00002", "--cols:3", 2),
        ("limit=%202%20", "--cols:3", 2),
        ("columns=1", "--cols:1", 9),
        ("columns=8", "--cols:8", 9),
        ("gap=0", "--gap:0px", 9),
        ("gap=99", "--gap:99px", 9),
        ("gap=8PX", "--gap:8px", 9),
        ("gap=0.5em", "--gap:0.5em", 9),
        ("theme=DARK&layout=Carousel", "--cols:3", 9),
        ("load-more&header&lightbox", "--cols:3", 9),
        ("unknown=1&limit=2", "--cols:3", 2),
        (everything, "--cols:8;--gap:99.99rem", posts.len()),
    ];
    for (query, style, shown) in fine {
        let call = Call::get(&format!("/embed?{query}"));
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, 200, "{what}: {}", message(&answer));
        let html = answer.text();
        assert!(html.contains(style), "{what}: {style} on the page");
        assert_style_allowed(&what, &answer);
        assert!(html.contains(&permalink(shown - 1)), "{what}: post {shown}");
        if shown < posts.len() {
            assert!(!html.contains(&permalink(shown)), "{what}: only {shown}");
        }
    }
    let beyond = [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=%2B1", "limit"),
        ("limit=1.0", "limit"),
        ("limit=18446744073709551616", "limit"),
        ("limit=1&limit=2", "limit"),
        ("columns=0", "columns"),
        ("columns=9", "columns"),
        ("columns=264", "columns"),
        ("gap=100", "gap"),
        ("gap=-1", "gap"),
        ("gap=1e1", "gap"),
        ("gap=8vw", "gap"),
        ("gap=.5rem", "gap"),
        ("gap=9.", "gap"),
        ("gap=1px%3B--x:url(//evil)", "gap"),
        ("gap=", "gap"),
        ("theme=", "theme"),
        ("layout=grid%00", "layout"),
        ("captions=below&captions=hover", "captions"),
        ("header=0", "header"),
        ("load-more=yes", "load-more"),
        ("aspect=%E2%80%8Bsquare", "aspect"),
    ];
    for (query, name) in beyond {
        let call = Call::get(&format!("/embed?{query}"));
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, 400, "{what}");
        assert_eq!(code(&answer), "bad-query", "{what}");
        assert!(
            message(&answer).contains(&format!("`{name}`")),
            "{what}: names `{name}`: {}",
            message(&answer)
        );
    }
    c.assert_no_graph_calls("embed options");
    c.stop().await;
}

//! The feed editor in /admin over HTTP: creating a feed, saving hide / pin / link through the
//! editor's form (served by /feed.json at once, with no Instagram call), a refused link
//! shown again with the field named and nothing saved, and the editor's access rules.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use super::connect::{Admin, PASSWORD};
use super::helpers::{TestApp, TestEnv};

/// A browser with the owner's session: keeps cookies, follows no redirect.
struct Owner {
    http: reqwest::Client,
    base: String,
}

impl Owner {
    async fn login(env: &TestEnv, app: &TestApp) -> Self {
        let Admin { http, base } = Admin::login(env, app).await;
        Self { http, base }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("igfeed answers")
    }

    async fn text(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("html")
    }

    async fn post(&self, path: &str, form: &[(String, String)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("igfeed answers")
    }

    async fn csrf(&self) -> String {
        let page = self.text("/admin").await;
        attribute_after(&page, r#"name="csrf_token" value=""#)
    }
}

/// The text from just after `marker` up to the next `"`.
fn attribute_after(page: &str, marker: &str) -> String {
    let start = page.find(marker).expect("the marker is on the page") + marker.len();
    page[start..].split('"').next().expect("a value").to_owned()
}

/// Every `value` of the editor's `post` fields, in page order.
fn post_ids(page: &str) -> Vec<String> {
    let marker = r#"name="post" value=""#;
    page.match_indices(marker)
        .map(|(i, _)| {
            page[i + marker.len()..]
                .split('"')
                .next()
                .expect("a value")
                .to_owned()
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The editor's form as a browser submits it: every post listed, the given choices, the
/// display controls.
fn editor_form(
    csrf: &str,
    account: &str,
    ids: &[String],
    choices: &[(String, &str)],
) -> Vec<(String, String)> {
    let mut form = pairs(&[
        ("csrf_token", csrf),
        ("accounts", account),
        ("types", "image"),
        ("types", "carousel"),
        ("types", "video"),
        ("types", "reel"),
        ("hashtags_any", ""),
        ("hashtags_none", ""),
        ("words_none", ""),
        ("max_posts", "50"),
        ("layout", "grid"),
        ("columns", "4"),
        ("aspect", "square"),
        ("captions", "none"),
        ("theme", "light"),
        ("gap", ""),
        ("header", "on"),
        ("lightbox", "on"),
    ]);
    for id in ids {
        form.push(("post".into(), id.clone()));
        form.push((format!("order.{id}"), String::new()));
        form.push((format!("link.{id}"), String::new()));
    }
    for (key, value) in choices {
        form.retain(|(k, _)| k != key);
        form.push((key.clone(), (*value).to_owned()));
    }
    form
}

async fn feed(app: &TestApp, name: &str) -> Value {
    let response = app.get(&format!("/feed.json?feed={name}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

fn ids_of(feed: &Value) -> Vec<&str> {
    feed["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect()
}

async fn connected_app() -> (TestEnv, TestApp) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__PASSWORD", PASSWORD);
    let (app, _) = env.spawn_connected().await;
    (env, app)
}

#[tokio::test]
async fn the_editor_saves_hide_pin_and_link_and_the_feed_serves_them_at_once() {
    let (env, app) = connected_app().await;
    let account = app.account().feed_name();
    let owner = Owner::login(&env, &app).await;
    let csrf = owner.csrf().await;

    // /admin lists the account's feed; the new-feed form creates "shop".
    let home = owner.text("/admin").await;
    assert!(home.contains(&format!(r#"href="/admin/feeds/{account}""#)));
    let created = owner
        .post(
            "/admin/feeds",
            &pairs(&[
                ("csrf_token", &csrf),
                ("name", "shop"),
                ("accounts", &account),
            ]),
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        created.headers()["location"],
        "/admin/feeds/shop?notice=created"
    );
    assert!(
        owner
            .text("/admin")
            .await
            .contains(r#"href="/admin/feeds/shop""#)
    );

    let editor = owner.get("/admin/feeds/shop").await;
    let policy = editor.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let page = editor.text().await.expect("html");
    let ids = post_ids(&page);
    let all = ids_of(&feed(&app, &account).await)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(ids.len(), all.len(), "the editor lists every post");
    assert!(page.contains(r#"<iframe id="preview""#));
    assert!(
        page.contains("src=\"/embed?feed=shop&#38;layout=grid&#38;columns=3&#38;"),
        "the preview"
    );
    assert!(page.contains(r#"data-feed="shop""#), "the script snippet");
    assert!(page.contains("/feed.json?feed=shop"), "the JSON URL");
    assert!(page.contains("/rss.xml?feed=shop") && page.contains("/jsonfeed.json?feed=shop"));
    let script = owner.get("/admin/static/admin.js").await;
    assert_eq!(script.status(), StatusCode::OK);

    let (hidden, pinned, linked) = (&ids[0], &ids[3], &ids[1]);
    let graph_calls = env.sandbox.stats().graph_total;
    let started = Instant::now();
    let saved = owner
        .post(
            "/admin/feeds/shop",
            &editor_form(
                &csrf,
                &account,
                &ids,
                &[
                    (format!("hide.{hidden}"), "on"),
                    (format!("pin.{pinned}"), "on"),
                    (format!("order.{pinned}"), "1"),
                    (format!("link.{linked}"), "https://shop.example/p/1"),
                ],
            ),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()["location"],
        "/admin/feeds/shop?notice=saved"
    );
    let shop = feed(&app, "shop").await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "served within a second of the save: {:?}",
        started.elapsed()
    );
    let shown = ids_of(&shop);
    assert!(!shown.contains(&hidden.as_str()), "the hidden post is gone");
    assert_eq!(shown[0], pinned, "the pinned post comes first");
    assert_eq!(shop["posts"][0]["pinned"], true);
    let link = shop["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .find(|p| p["id"] == linked.as_str())
        .map(|p| p["link"].clone());
    assert_eq!(link, Some(Value::from("https://shop.example/p/1")));
    assert_eq!(shop["display"]["columns"], 4, "{}", shop["display"]);
    assert_eq!(
        env.sandbox.stats().graph_total,
        graph_calls,
        "saving calls no Instagram endpoint"
    );

    // The editor shows what was saved, the hidden post still listed so it can come back.
    let page = owner.text("/admin/feeds/shop?notice=saved").await;
    assert_eq!(post_ids(&page), ids, "hidden posts stay in the editor");
    assert!(page.contains(&format!(
        r#"name="hide.{hidden}" id="hide-{hidden}" checked"#
    )));
    assert!(page.contains(r#"value="https://shop.example/p/1""#));
    assert!(page.contains("Saved."));

    // Unhiding it brings it back.
    let saved = owner
        .post(
            "/admin/feeds/shop",
            &editor_form(&csrf, &account, &ids, &[]),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(ids_of(&feed(&app, "shop").await).contains(&hidden.as_str()));

    // A named feed can be deleted; an account's own feed cannot.
    let own = owner
        .post(
            &format!("/admin/feeds/{account}/delete"),
            &pairs(&[("csrf_token", &csrf)]),
        )
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    let deleted = owner
        .post("/admin/feeds/shop/delete", &pairs(&[("csrf_token", &csrf)]))
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/feed.json?feed=shop").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn a_refused_link_is_shown_again_with_its_field_and_nothing_is_saved() {
    let (env, app) = connected_app().await;
    let account = app.account().feed_name();
    let owner = Owner::login(&env, &app).await;
    let csrf = owner.csrf().await;
    let page = owner.text(&format!("/admin/feeds/{account}")).await;
    let ids = post_ids(&page);
    let before = app.state.feeds.definition(&account).expect("the feed");

    let refused = owner
        .post(
            &format!("/admin/feeds/{account}"),
            &editor_form(
                &csrf,
                &account,
                &ids,
                &[
                    (format!("hide.{}", ids[2]), "on"),
                    (format!("link.{}", ids[0]), "javascript:alert(1)"),
                    ("hashtags_none".into(), "typed, kept"),
                ],
            ),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("html");
    let field = format!("links.{}", ids[0]);
    assert!(
        page.contains(&format!("<code>{field}</code>")),
        "names {field}"
    );
    assert!(page.contains("https URL"), "says why");
    assert!(
        page.contains(&format!(
            r#"id="link-{}" value="javascript:alert(1)""#,
            ids[0]
        )),
        "what was typed is kept"
    );
    assert!(page.contains(r#"aria-invalid="true""#));
    assert!(page.contains(r#"value="typed, kept""#));
    assert!(page.contains(&format!(r#"id="hide-{}" checked"#, ids[2])));
    assert_eq!(
        app.state.feeds.definition(&account).expect("the feed"),
        before,
        "nothing saved"
    );
    let shown = ids_of(&feed(&app, &account).await)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(shown.contains(&ids[2]), "the hide was not saved either");

    // A bad columns text is named too.
    let refused = owner
        .post(
            &format!("/admin/feeds/{account}"),
            &editor_form(&csrf, &account, &ids, &[("columns".into(), "2,600:")]),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("html");
    assert!(page.contains("<code>display.columns</code>"));
    assert!(page.contains(r#"id="display-columns" value="2,600:""#));
    app.stop().await;
}

#[tokio::test]
async fn the_editor_needs_a_session_and_its_forms_a_csrf_token() {
    let (env, app) = connected_app().await;
    let account = app.account().feed_name();
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in ["/admin/feeds".to_owned(), format!("/admin/feeds/{account}")] {
        let response = anonymous
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()["location"], "/admin/login", "{path}");
        let posted = anonymous
            .post(format!("{}{path}", app.address))
            .form(&[("name", "x")])
            .send()
            .await
            .expect("answers");
        assert_eq!(posted.status(), StatusCode::FORBIDDEN, "{path}");
    }

    let owner = Owner::login(&env, &app).await;
    let page = owner.text(&format!("/admin/feeds/{account}")).await;
    let ids = post_ids(&page);
    let before = app.state.feeds.definition(&account).expect("the feed");
    let hide = format!("hide.{}", ids[0]);
    for csrf in ["", "not-the-token"] {
        let mut form = editor_form(csrf, &account, &ids, &[(hide.clone(), "on")]);
        if csrf.is_empty() {
            form.retain(|(k, _)| k != "csrf_token");
        }
        let refused = owner.post(&format!("/admin/feeds/{account}"), &form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "csrf {csrf:?}");
        let created = owner
            .post(
                "/admin/feeds",
                &pairs(&[
                    ("csrf_token", csrf),
                    ("name", "shop"),
                    ("accounts", &account),
                ]),
            )
            .await;
        assert_eq!(created.status(), StatusCode::FORBIDDEN, "csrf {csrf:?}");
    }
    assert_eq!(
        app.state.feeds.definition(&account).expect("the feed"),
        before
    );
    assert!(app.state.feeds.definition("shop").is_none());

    // Unknown feeds are 404; a body over the limit is 413.
    assert_eq!(
        owner.get("/admin/feeds/nope").await.status(),
        StatusCode::NOT_FOUND
    );
    let csrf = owner.csrf().await;
    let huge = vec![
        ("csrf_token".to_owned(), csrf),
        ("words_none".to_owned(), "a".repeat(600 * 1024)),
    ];
    assert_eq!(
        owner
            .post(&format!("/admin/feeds/{account}"), &huge)
            .await
            .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    app.stop().await;
}

/// Hooks in the editor: one added with its secret, kept (secret and all) when the form is
/// saved again without it, its calls listed on the page, and the secret never on a page.
#[tokio::test]
async fn the_editor_adds_a_hook_keeps_it_across_saves_and_lists_its_calls() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__PASSWORD", PASSWORD);
    env.set("IGFEED__HOOKS__DEBOUNCE", "100ms");
    let (app, _) = env.spawn_connected().await;
    let account = app.account().feed_name();
    let owner = Owner::login(&env, &app).await;
    let csrf = owner.csrf().await;
    let receiver = super::receiver::Receiver::start(0).await;
    let secret = "editor-hook-secret-0123";
    let page = owner.text(&format!("/admin/feeds/{account}")).await;
    let ids = post_ids(&page);
    let mut form = editor_form(&csrf, &account, &ids, &[]);
    form.retain(|(k, _)| k != "accounts");
    form.push(("new_hook_url".into(), receiver.url.clone()));
    form.push(("new_hook_secret".into(), secret.into()));
    let saved = owner.post(&format!("/admin/feeds/{account}"), &form).await;
    assert_eq!(
        saved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap_or_default()
    );

    // Saved again as the page now shows it (the hook as a ticked box), with a post hidden.
    let page = owner.text(&format!("/admin/feeds/{account}")).await;
    assert!(page.contains(&receiver.url), "the hook is listed");
    assert!(!page.contains(secret), "the secret is never shown");
    let mut form = editor_form(&csrf, &account, &ids, &[(format!("hide.{}", ids[0]), "on")]);
    form.retain(|(k, _)| k != "accounts");
    form.push(("hook".into(), receiver.url.clone()));
    let saved = owner.post(&format!("/admin/feeds/{account}"), &form).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    super::helpers::wait_until("the hook's call", 20, || async {
        !receiver.received().is_empty()
    })
    .await;
    let call = &receiver.received()[0];
    assert_eq!(call.body["removed"], serde_json::json!([ids[0]]));
    assert!(
        call.signature
            .as_deref()
            .is_some_and(|s| s.starts_with("sha256=")),
        "still signed"
    );
    let page = owner.text(&format!("/admin/feeds/{account}")).await;
    assert!(
        page.contains("Last calls") && page.contains("204 No Content"),
        "the log"
    );
    assert!(!page.contains(secret));

    // A new hook without a secret is refused next to its input, and nothing is lost.
    let mut form = editor_form(&csrf, &account, &ids, &[]);
    form.retain(|(k, _)| k != "accounts");
    form.push(("hook".into(), receiver.url.clone()));
    form.push((
        "new_hook_url".into(),
        "https://api.netlify.com/build_hooks/abc".into(),
    ));
    let refused = owner.post(&format!("/admin/feeds/{account}"), &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("html");
    assert!(page.contains(r#"id="new-hook-secret" value="" maxlength="256" autocomplete="off" aria-invalid="true""#), "named at its input");

    // The calls are stored: still listed after a restart.
    app.stop().await;
    let app = env.spawn_app().await;
    let owner = Owner::login(&env, &app).await;
    let page = owner.text(&format!("/admin/feeds/{account}")).await;
    assert!(page.contains("204 No Content"), "the log after a restart");
    app.stop().await;
}

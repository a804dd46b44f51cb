//! Paging: `paging.next` is followed on the Graph host only, and never with the token in it.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use igfeed_sandbox::{SandboxConfig, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestEnv, hours};

#[tokio::test]
async fn pages_are_followed_until_max_posts() {
    let env = TestEnv::with_config(SandboxConfig {
        post_count: 150,
        ..SandboxConfig::default()
    })
    .await;
    let token = SecretString::from(env.sandbox.issue_token(TokenKind::LongLived, hours(0)));
    let posts = env.client().media(&token, 120).await.expect("media");
    assert_eq!(posts.len(), 120);
    let mut ids: Vec<_> = posts.iter().map(|p| p.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 120, "no post twice");
    assert_eq!(
        env.sandbox.stats().calls.media_list,
        2,
        "100 + 20 needs two pages"
    );

    let all = env.client().media(&token, 1000).await.expect("media");
    assert_eq!(all.len(), 150, "stops when paging.next is absent");
}

/// Requests seen by a fake Graph host: (path and query, authorization header).
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

async fn fake_graph(next: impl Fn(u16, usize) -> String + Send + Sync + 'static) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (record, next) = (seen.clone(), Arc::new(next));
    let server = HttpServer::new(move || {
        let (record, next) = (record.clone(), next.clone());
        App::new().default_service(web::to(move |req: HttpRequest| {
            let (record, next) = (record.clone(), next.clone());
            async move {
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let n = {
                    let mut seen = record.lock().expect("lock");
                    seen.push((req.uri().to_string(), auth));
                    seen.len()
                };
                let body = serde_json::json!({
                    "data": [{"id": format!("{n}"), "media_type": "IMAGE"}],
                    "paging": {"cursors": {"after": "x"}, "next": next(port, n)},
                });
                HttpResponse::Ok().json(body)
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), seen)
}

#[tokio::test]
async fn next_links_to_another_host_are_not_followed() {
    let (elsewhere, elsewhere_seen) = fake_graph(|_, _| String::new()).await;
    let (graph, seen) =
        fake_graph(move |_, _| format!("{elsewhere}/v23.0/me/media?access_token=SECRET&after=x"))
            .await;
    let mut env = TestEnv::start().await;
    env.set("IGFEED__INSTAGRAM__GRAPH_BASE", &graph);
    let posts = env
        .client()
        .media(&SecretString::from("SECRET"), 10)
        .await
        .expect("first page");
    assert_eq!(posts.len(), 1, "only the first page");
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert!(
        elsewhere_seen.lock().expect("lock").is_empty(),
        "token never sent elsewhere"
    );
}

#[tokio::test]
async fn next_links_lose_the_token_and_use_the_header() {
    let (graph, seen) = fake_graph(|port, n| {
        format!("http://127.0.0.1:{port}/v23.0/me/media?access_token=SECRET&limit=10&after=x{n}")
    })
    .await;
    let mut env = TestEnv::start().await;
    env.set("IGFEED__INSTAGRAM__GRAPH_BASE", &graph);
    let posts = env
        .client()
        .media(&SecretString::from("SECRET"), 3)
        .await
        .expect("pages");
    assert_eq!(posts.len(), 3);
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 3, "{seen:?}");
    for (uri, auth) in seen.iter() {
        assert!(!uri.contains("SECRET"), "token in URL: {uri}");
        assert_eq!(auth.as_deref(), Some("Bearer SECRET"));
    }
    assert!(seen[1].0.contains("after=x1"), "cursor kept: {}", seen[1].0);
}

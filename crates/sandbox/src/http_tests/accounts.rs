//! Several accounts: the consent page's choice, per-account reads, and the control API.

use serde_json::json;

use super::*;

/// `GET path` with `token` as a bearer token.
async fn read(h: &Harness, path: &str, token: &str) -> (u16, Value) {
    let response = h
        .client
        .get(h.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn media_ids(h: &Harness, token: &str) -> Vec<String> {
    let (status, body) = read(h, "v23.0/me/media?fields=id&limit=100", token).await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_consent_page_offers_every_account_and_each_token_reads_its_own() {
    let h = Harness::start().await;
    let page = h.consent_page("s").await;
    assert!(
        page.contains(r#"value="sandbox.studio" checked"#)
            && page.contains(r#"value="harness.cafe""#),
        "both accounts offered, the first preselected:\n{page}"
    );

    let studio = h.long_token().await;
    let cafe = h.long_token_of(Some("harness.cafe")).await;
    let fields = "v23.0/me?fields=id,user_id,username,name,media_count,profile_picture_url";
    let (_, me) = read(&h, fields, &cafe).await;
    assert_eq!(me["username"], "harness.cafe");
    assert_eq!(me["name"], "Harness Cafe");
    assert_eq!(me["media_count"], 12);
    let (_, first) = read(&h, fields, &studio).await;
    assert_eq!(first["username"], "sandbox.studio");
    assert_ne!(me["user_id"], first["user_id"]);
    assert_ne!(me["id"], first["id"]);
    assert_ne!(me["profile_picture_url"], first["profile_picture_url"]);
    let picture = h
        .client
        .get(me["profile_picture_url"].as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        picture.status(),
        200,
        "the second profile picture is served"
    );

    let (cafe_posts, studio_posts) = (media_ids(&h, &cafe).await, media_ids(&h, &studio).await);
    assert_eq!((cafe_posts.len(), studio_posts.len()), (12, 36));
    assert!(
        cafe_posts.iter().all(|id| !studio_posts.contains(id)),
        "no shared media ids"
    );

    // A token reads only its own account's nodes, as on Instagram.
    let (status, body) = read(&h, &format!("v23.0/{}", studio_posts[0]), &cafe).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(100)),
        "{body}"
    );
    let studio_id = first["user_id"].as_str().expect("id");
    let (status, _) = read(&h, &format!("v23.0/{studio_id}/media"), &cafe).await;
    assert_eq!(status, 400, "another account's media list is not readable");
    let (status, _) = read(&h, &format!("v23.0/{}", cafe_posts[3]), &cafe).await;
    assert_eq!(status, 200, "its own media is");

    let stats: Value = h.get_json("_sandbox/stats").await.1;
    assert_eq!(stats["media_list_by_account"]["harness.cafe"], 1, "{stats}");
    assert_eq!(
        stats["media_list_by_account"]["sandbox.studio"], 1,
        "{stats}"
    );
}

#[tokio::test]
async fn the_code_exchange_names_the_approving_account() {
    let h = Harness::start().await;
    let code = h.authorize_as("s", Some("harness.cafe")).await;
    let body = h.exchange_code_body(&code).await;
    let cafe = h
        .sandbox
        .accounts()
        .into_iter()
        .find(|a| a.username == "harness.cafe")
        .expect("listed");
    assert_eq!(
        body["user_id"].as_str(),
        Some(cafe.user_id.as_str()),
        "{body}"
    );

    // An account nobody has is refused on the consent page.
    let refused = h.allow("s", Some("nobody.here")).await;
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn accounts_are_added_revoked_and_posted_to_one_by_one() {
    let h = Harness::start().await;
    let post = |body: Value, path: &'static str| {
        let request = h.client.post(h.url(path)).json(&body);
        async move { request.send().await.expect("sent") }
    };
    let added = post(
        json!({"username": "third.shop", "posts": 3}),
        "_sandbox/accounts",
    )
    .await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.expect("JSON");
    assert_eq!(added["username"], "third.shop");
    for bad in [
        json!({"username": "third.shop"}),
        json!({"username": "Bad Name"}),
        json!({"username": "ok.name", "posts": 100_000}),
        json!({"username": "ok.name", "extra": 1}),
    ] {
        let response = post(bad.clone(), "_sandbox/accounts").await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.expect("JSON");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
    let (_, listed) = h.get_json("_sandbox/accounts").await;
    let names: Vec<&str> = listed["accounts"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["username"].as_str().expect("username"))
        .collect();
    assert_eq!(names, ["sandbox.studio", "harness.cafe", "third.shop"]);

    let third = h.long_token_of(Some("third.shop")).await;
    let studio = h.long_token().await;
    let new_post = post(json!({"account": "third.shop"}), "_sandbox/posts").await;
    let new_id = new_post.json::<Value>().await.expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let third_posts = media_ids(&h, &third).await;
    assert_eq!(
        (third_posts.len(), third_posts[0].as_str()),
        (4, new_id.as_str())
    );
    assert!(!media_ids(&h, &studio).await.contains(&new_id));

    assert_eq!(
        post(json!({"account": "third.shop"}), "_sandbox/revoke")
            .await
            .status(),
        204
    );
    let (status, body) = read(&h, "v23.0/me", &third).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(190)),
        "{body}"
    );
    let (status, _) = read(&h, "v23.0/me", &studio).await;
    assert_eq!(status, 200, "the other accounts keep working");
    let unknown = post(json!({"account": "nobody"}), "_sandbox/revoke").await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn is_shared_to_feed_is_told_for_reels_and_false_for_two_of_the_second_account() {
    let h = Harness::start().await;
    let token_of = |username: &str| {
        h.sandbox
            .issue_token_for(
                username,
                crate::TokenKind::LongLived,
                std::time::Duration::ZERO,
            )
            .expect("account exists")
    };
    let path = "v23.0/me/media?fields=id,media_product_type,is_shared_to_feed,\
                children{id,is_shared_to_feed}&limit=100";
    let (status, studio) = read(&h, path, &token_of("sandbox.studio")).await;
    assert_eq!(status, 200, "{studio}");
    let (status, cafe) = read(&h, path, &token_of("harness.cafe")).await;
    assert_eq!(status, 200, "{cafe}");
    for post in studio["data"]
        .as_array()
        .into_iter()
        .chain(cafe["data"].as_array())
        .flatten()
    {
        let reel = post["media_product_type"] == "REELS";
        assert_eq!(
            post["is_shared_to_feed"].is_boolean(),
            reel,
            "reels only: {post}"
        );
        for child in post["children"]["data"].as_array().into_iter().flatten() {
            assert!(child.get("is_shared_to_feed").is_none(), "{child}");
        }
    }
    let unshared = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["is_shared_to_feed"] == false)
            .map(|p| p["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert!(
        unshared(&studio).is_empty(),
        "the first account shows every reel"
    );
    // Local seeds 8 (Reels tab only) and 9 (trial reel) of the second account, newest first.
    assert_eq!(unshared(&cafe), ["17900010090008072", "17900010090009081"]);
    assert!(
        cafe["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["is_shared_to_feed"] == true),
        "and it keeps a reel on its grid"
    );
}

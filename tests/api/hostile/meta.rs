//! Meta's callbacks: odd signed requests delete nothing.

use igfeed::clock::Clock as _;

use super::*;

/// `<sig>.<payload>` over `encoded_payload` exactly as given, signature unpadded base64url.
fn sign_encoded(secret: &str, encoded_payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(encoded_payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signature}.{encoded_payload}")
}

fn sign_json(secret: &str, json: &str) -> String {
    sign_encoded(secret, &URL_SAFE_NO_PAD.encode(json))
}

fn form(signed_request: &str) -> String {
    let value: String = url::form_urlencoded::byte_serialize(signed_request.as_bytes()).collect();
    format!("signed_request={value}")
}

#[tokio::test]
async fn meta_callbacks_refuse_odd_signed_requests_and_delete_nothing() {
    let c = Connected::start(&[]).await;
    let secret = c.env.config.app_secret.clone();
    let (_, user_id) = c.env.sandbox.account_ids();
    // Issued now: a request that gets past the signature must also be fresh to be acted on.
    let now = c.env.clock.now().timestamp();
    let json = |algorithm: &str| {
        format!(r#"{{"user_id":"{user_id}","algorithm":"{algorithm}","issued_at":{now}}}"#)
    };
    let good = sign_json(&secret, &json("HMAC-SHA256"));
    let (good_sig, good_payload) = good.split_once('.').expect("dot");
    let filler = "f".repeat(5000);
    let bulky = format!(
        r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256","issued_at":{now},"x":"{filler}"}}"#
    );
    let mut cases: Vec<(String, &str)> = vec![
        (sign_json(&secret, &json("none")), "algorithm none"),
        (sign_json(&secret, &json("HS256")), "algorithm HS256"),
        (
            sign_json(&secret, &json("HMAC-SHA256 ")),
            "algorithm with a space",
        ),
        (sign_json(&secret, &json("")), "empty algorithm"),
        (
            format!(".{}", URL_SAFE_NO_PAD.encode(json("none"))),
            "algorithm none, no signature",
        ),
        (
            sign_json(
                &secret,
                &format!(r#"{{"user_id":"{user_id}","issued_at":1}}"#),
            ),
            "no algorithm",
        ),
        (
            sign_json(
                &secret,
                &format!(r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256"}}"#),
            ),
            "no issued_at",
        ),
        (
            sign_json(
                &secret,
                &format!(r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256","issued_at":"1"}}"#),
            ),
            "issued_at as text",
        ),
        (
            sign_json(
                &secret,
                r#"{"user_id":{"id":"1"},"algorithm":"HMAC-SHA256","issued_at":1}"#,
            ),
            "user_id as an object",
        ),
        (
            sign_json(
                &secret,
                r#"{"user_id":"   ","algorithm":"HMAC-SHA256","issued_at":1}"#,
            ),
            "blank user_id",
        ),
        (
            sign_json(
                &secret,
                r#"{"user_id":-1,"algorithm":"HMAC-SHA256","issued_at":1}"#,
            ),
            "negative user_id",
        ),
        (sign_json(&secret, "[]"), "a JSON array"),
        (sign_json(&secret, "null"), "JSON null"),
        (sign_json(&secret, "not json"), "not JSON"),
        (
            sign_encoded(&secret, "%%%%"),
            "a payload that is not base64",
        ),
        (
            format!("{good_sig}==.{good_payload}"),
            "a signature with padding it cannot have",
        ),
        (
            format!("{good_sig}.{good_payload}==="),
            "a payload with three padding characters",
        ),
        (
            format!("{}={}.{good_payload}", &good_sig[..10], &good_sig[10..]),
            "padding inside the signature",
        ),
        (format!(" {good}"), "a leading space"),
        (
            format!("{good_sig}A.{good_payload}"),
            "a signature one character too long",
        ),
        (format!("{good}\n"), "a trailing line break"),
        (format!("{good_sig}..{good_payload}"), "two dots"),
        (
            sign_json(&secret, &format!("{bulky}{}", " ".repeat(3000))),
            "correctly signed but over 8 KB",
        ),
    ];
    // The same signature in the standard alphabet (when its bytes make a difference).
    let standard = good_sig.replace('-', "+").replace('_', "/");
    if standard != good_sig {
        cases.push((
            format!("{standard}.{good_payload}"),
            "the signature in the standard alphabet",
        ));
    }
    for path in ["/instagram/deauthorize", "/instagram/data-deletion"] {
        for (signed_request, why) in &cases {
            let call = Call::new("POST", path)
                .body("application/x-www-form-urlencoded", form(signed_request));
            let answer = c.probe(&call).await;
            let what = format!("POST {path}: {why}");
            assert_eq!(answer.status, 400, "{what}: {}", answer.summary());
            assert_eq!(code(&answer), "bad-signed-request", "{what}");
            assert!(c.env.stored_credentials().is_some(), "{what}: deleted");
        }
        // Other ways to send a good request that are not the documented form.
        let multipart = format!(
            "--b\r\nContent-Disposition: form-data; name=\"signed_request\"\r\n\r\n{good}\r\n--b--\r\n"
        );
        for (call, why) in [
            (
                Call::new("POST", path).body("multipart/form-data; boundary=b", multipart),
                "multipart",
            ),
            (
                Call::new("POST", path).body(
                    "application/x-www-form-urlencoded",
                    format!("{}&{}", form(&good), form("x.y")),
                ),
                "signed_request twice",
            ),
            (
                Call::new("POST", &format!("{path}?{}", form(&good))),
                "in the query string",
            ),
            (
                Call::new("POST", path).body(
                    "application/x-www-form-urlencoded",
                    format!("{}&x={}", form(&good), "y".repeat(20 * 1024)),
                ),
                "a 20 KB body",
            ),
        ] {
            let answer = c.probe(&call).await;
            assert!(
                [400, 413].contains(&answer.status),
                "POST {path}: {why}: {}",
                answer.status
            );
            assert!(c.env.stored_credentials().is_some(), "{path}: {why}");
        }
    }
    // The status URL handed to Meta comes from server.public_url, not the Host header.
    let stranger_small = json("HMAC-SHA256").replace(&user_id, "17841499999999999");
    let call = Call::new("POST", "/instagram/data-deletion")
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .body(
            "application/x-www-form-urlencoded",
            form(&sign_json(&secret, &stranger_small)),
        );
    let answer = c.probe(&call).await;
    assert_eq!(answer.status, 200, "{}", answer.summary());
    let url = answer.json()["url"].as_str().unwrap_or_default().to_owned();
    assert!(
        url.starts_with(&format!("{}/instagram/data-deletion/", c.app.address)),
        "{}: status URL {url}",
        call.what()
    );
    // A bulky but valid request about someone else is fine and deletes nothing.
    let stranger = bulky.replace(&user_id, "17841499999999999");
    let call = Call::new("POST", "/instagram/deauthorize").body(
        "application/x-www-form-urlencoded",
        form(&sign_json(&secret, &stranger)),
    );
    let answer = c.probe(&call).await;
    assert_eq!(answer.status, 200, "a 7 KB request about a stranger");
    assert!(c.env.stored_credentials().is_some(), "nothing deleted");
    assert_eq!(c.app.get("/feed.json").await.status(), 200, "still served");
    c.assert_no_graph_calls("Meta callbacks");
    c.stop().await;
}

//! Drives the sandbox's consent screen the way a browser would: read the page's form, submit
//! Allow or Cancel, and capture where Instagram redirects the browser.

use super::helpers::TestEnv;

/// A submit control on the consent page.
struct Form {
    action: String,
    fields: Vec<(String, String)>,
    buttons: Vec<(Option<(String, String)>, String)>,
}

/// Opens `authorize_url`, presses the button labelled `label` ("Allow"/"Cancel"), and returns
/// the redirect target.
pub async fn decide(authorize_url: &url::Url, label: &str) -> url::Url {
    decide_as(authorize_url, label, None).await
}

/// [`decide`], choosing which of the sandbox's accounts approves (its username); `None`
/// keeps the one the page preselects.
pub async fn decide_as(authorize_url: &url::Url, label: &str, account: Option<&str>) -> url::Url {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http
        .get(authorize_url.clone())
        .send()
        .await
        .expect("consent page");
    assert_eq!(page.status(), 200, "consent page should load");
    let html = page.text().await.expect("html");
    let forms = parse_forms(&html);
    let (form, button) = forms
        .iter()
        .find_map(|form| {
            form.buttons
                .iter()
                .find(|(_, text)| text.to_lowercase().contains(&label.to_lowercase()))
                .map(|b| (form, b))
        })
        .unwrap_or_else(|| panic!("no `{label}` button on the consent page:\n{html}"));
    let mut fields = form.fields.clone();
    if let Some(account) = account {
        assert!(
            html.contains(&format!("value=\"{account}\"")),
            "no choice of @{account} on the consent page:\n{html}"
        );
        fields.retain(|(name, _)| name != "account");
        fields.push(("account".into(), account.into()));
    }
    if let Some(pair) = &button.0 {
        fields.push(pair.clone());
    }
    let action = authorize_url
        .join(&form.action)
        .expect("form action resolves");
    let response = http
        .post(action)
        .form(&fields)
        .send()
        .await
        .expect("decision");
    assert!(
        response.status().is_redirection(),
        "the decision should redirect, got {}",
        response.status()
    );
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii location");
    url::Url::parse(location).expect("absolute redirect")
}

/// Approves on the consent page and returns the code from the redirect.
pub async fn approve(env: &TestEnv, state: &str) -> String {
    let url = env.client().authorize_url(state).expect("authorize url");
    let redirect = decide(&url, "Allow").await;
    assert_eq!(
        query(&redirect, "state").as_deref(),
        Some(state),
        "state echoed"
    );
    assert_eq!(redirect.fragment(), Some("_"), "Instagram appends #_");
    query(&redirect, "code").expect("code in redirect")
}

/// The first value of `key` in `url`'s query.
pub fn query(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn parse_forms(html: &str) -> Vec<Form> {
    html.split("<form")
        .skip(1)
        .map(|chunk| {
            let body = chunk.split("</form>").next().unwrap_or(chunk);
            let open_tag = body.split('>').next().unwrap_or_default();
            let mut form = Form {
                action: attr(open_tag, "action").unwrap_or_default(),
                fields: Vec::new(),
                buttons: Vec::new(),
            };
            for tag in body.split('<').skip(1) {
                let tag_head = tag.split('>').next().unwrap_or_default();
                let name_value = attr(tag_head, "name")
                    .map(|n| (n, attr(tag_head, "value").unwrap_or_default()));
                if tag.starts_with("input") {
                    let kind = attr(tag_head, "type").unwrap_or_default().to_lowercase();
                    let unchecked = matches!(kind.as_str(), "radio" | "checkbox")
                        && !tag_head.contains(" checked");
                    if kind == "submit" {
                        let label = attr(tag_head, "value").unwrap_or_default();
                        form.buttons.push((name_value, label));
                    } else if unchecked {
                        // A browser sends only the chosen radio button.
                    } else if let Some(pair) = name_value {
                        form.fields.push(pair);
                    }
                } else if tag.starts_with("button") {
                    let text = tag.split_once('>').map(|(_, t)| t).unwrap_or_default();
                    form.buttons.push((name_value, decode(text.trim())));
                }
            }
            form
        })
        .collect()
}

fn attr(tag: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        if let Some(start) = tag.find(&needle) {
            let rest = &tag[start + needle.len()..];
            return rest.split(quote).next().map(decode);
        }
    }
    None
}

fn decode(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

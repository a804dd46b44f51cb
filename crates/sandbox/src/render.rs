//! Turns the account and its posts into Graph JSON, returning only the fields asked for.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::accounts::Identity;
use super::cdn::{Asset, Signer};
use super::errors::GraphError;
use super::fields::Field;
use super::mode::BodyShape;
use super::posts::{Child, Kind, Post};

/// Fields an IG media node has (INSTAGRAM.md §5); anything else is error 100.
const MEDIA_FIELDS: &[&str] = &[
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "thumbnail_url",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
    "like_count",
    "comments_count",
    "alt_text",
    "is_shared_to_feed",
    "children",
];

/// Fields the IG user node behind `/me` has.
const PROFILE_FIELDS: &[&str] = &[
    "id",
    "user_id",
    "username",
    "name",
    "account_type",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
    "biography",
    "website",
];

/// Instagram's timestamp format: `2024-05-01T12:00:00+0000`, no colon in the offset.
pub(crate) fn ig_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// Refuses fields a media node does not have, at any depth.
pub(crate) fn check_media_fields(fields: &[Field]) -> Result<(), GraphError> {
    for field in fields {
        if !MEDIA_FIELDS.contains(&field.name.as_str()) {
            return Err(GraphError::nonexisting_field(&field.name, "Media"));
        }
        match (&field.sub, field.name.as_str()) {
            (Some(sub), "children") => check_media_fields(sub)?,
            (Some(_), name) => {
                return Err(GraphError::invalid(format!(
                    "Field {name} does not support sub-fields"
                )));
            }
            (None, _) => {}
        }
    }
    Ok(())
}

/// Refuses fields the user node does not have.
pub(crate) fn check_profile_fields(fields: &[Field]) -> Result<(), GraphError> {
    match fields
        .iter()
        .find(|f| !PROFILE_FIELDS.contains(&f.name.as_str()) || f.sub.is_some())
    {
        Some(field) => Err(GraphError::nonexisting_field(&field.name, "User")),
        None => Ok(()),
    }
}

/// Builds one account's node JSON with CDN URLs that expire at one instant.
pub(crate) struct Renderer<'a> {
    pub(crate) account: &'a Identity,
    pub(crate) signer: &'a Signer,
    pub(crate) base: &'a url::Url,
    pub(crate) cdn_expiry: DateTime<Utc>,
}

impl Renderer<'_> {
    fn cdn(&self, asset: Asset) -> Value {
        Value::String(self.signer.url(self.base, &asset, self.cdn_expiry))
    }

    /// A post with `id` and the requested fields it has; absent ones are left out, as on Instagram.
    pub(crate) fn media(&self, post: &Post, fields: &[Field]) -> Value {
        let mut out = Map::new();
        out.insert("id".to_owned(), post.id.clone().into());
        for field in fields {
            let value = match field.name.as_str() {
                "caption" => post.caption.clone().map(Value::from),
                "media_type" => Some(post.kind.as_str().into()),
                "media_product_type" => Some(if post.reel { "REELS" } else { "FEED" }.into()),
                "media_url" => match post.kind {
                    Kind::Image => Some(self.cdn(Asset::Picture(post.id.clone()))),
                    Kind::Video => post
                        .has_media_url
                        .then(|| self.cdn(Asset::Video(post.id.clone()))),
                    // An album's media_url is its first item's.
                    Kind::Carousel => post.children.first().map(|c| self.child_media_url(c)),
                },
                "thumbnail_url" => {
                    (post.kind == Kind::Video).then(|| self.cdn(Asset::Thumbnail(post.id.clone())))
                }
                "permalink" => Some(post.permalink().into()),
                "shortcode" => Some(post.shortcode.clone().into()),
                "timestamp" => Some(ig_time(post.timestamp).into()),
                "username" => Some(self.account.username.clone().into()),
                "like_count" => post.like_count.map(Value::from),
                "comments_count" => Some(post.comments_count.into()),
                "alt_text" => post.alt_text.clone().map(Value::from),
                // Instagram answers it for reels only.
                "is_shared_to_feed" => post.reel.then_some(post.shared_to_feed.into()),
                "children" if post.kind == Kind::Carousel => Some(
                    json!({ "data": self.children(post, field.sub.as_deref().unwrap_or(&[])) }),
                ),
                _ => None,
            };
            if let Some(value) = value {
                out.insert(field.name.clone(), value);
            }
        }
        Value::Object(out)
    }

    /// The items of a carousel, each with `id` and the requested fields a child has.
    pub(crate) fn children(&self, post: &Post, fields: &[Field]) -> Vec<Value> {
        post.children
            .iter()
            .map(|child| self.child(child, fields))
            .collect()
    }

    /// One carousel item.
    pub(crate) fn child(&self, child: &Child, fields: &[Field]) -> Value {
        let mut out = Map::new();
        out.insert("id".to_owned(), child.id.clone().into());
        for field in fields {
            // Children have no permalink, caption or counts: Instagram leaves those out.
            let value = match field.name.as_str() {
                "media_type" => Some(child.kind.as_str().into()),
                "media_url" => Some(self.child_media_url(child)),
                "thumbnail_url" => (child.kind == Kind::Video)
                    .then(|| self.cdn(Asset::Thumbnail(child.id.clone()))),
                "timestamp" => Some(ig_time(child.timestamp).into()),
                "username" => Some(self.account.username.clone().into()),
                _ => None,
            };
            if let Some(value) = value {
                out.insert(field.name.clone(), value);
            }
        }
        Value::Object(out)
    }

    fn child_media_url(&self, child: &Child) -> Value {
        match child.kind {
            Kind::Video => self.cdn(Asset::Video(child.id.clone())),
            _ => self.cdn(Asset::Picture(child.id.clone())),
        }
    }

    /// The `/me` node in the requested shape.
    pub(crate) fn profile(&self, fields: &[Field], media_count: usize, shape: BodyShape) -> Value {
        let mut out = Map::new();
        let account = self.account;
        out.insert("id".to_owned(), account.app_scoped_id.clone().into());
        for field in fields {
            let value: Value = match field.name.as_str() {
                "user_id" if shape == BodyShape::FlatNumericIds => account.user_id.into(),
                "user_id" => account.user_id.to_string().into(),
                "username" => account.username.clone().into(),
                "name" => account.name.clone().into(),
                "account_type" => "Business".into(),
                "profile_picture_url" => self.cdn(Asset::Profile(account.index)),
                "followers_count" => 1_234.into(),
                "follows_count" => 321.into(),
                "media_count" => media_count.into(),
                "biography" => {
                    "A stand-in account for igfeed 🧪 Not a real Instagram account.".into()
                }
                "website" => "https://example.com/".into(),
                _ => continue,
            };
            out.insert(field.name.clone(), value);
        }
        match shape {
            BodyShape::Wrapped => json!({ "data": [Value::Object(out)] }),
            BodyShape::Flat | BodyShape::FlatNumericIds => Value::Object(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::fields::parse;

    #[test]
    fn timestamps_have_no_colon_in_the_offset() {
        let at = Utc
            .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
            .single()
            .expect("valid date");
        assert_eq!(ig_time(at), "2024-05-01T12:00:00+0000");
    }

    #[test]
    fn only_requested_and_present_fields_are_returned() {
        let signer = Signer::new();
        let base = url::Url::parse("http://127.0.0.1:1/").expect("base");
        let accounts = crate::accounts::Accounts::new(&[], Utc::now());
        let account = accounts.first().identity();
        let renderer = Renderer {
            account: &account,
            signer: &signer,
            base: &base,
            cdn_expiry: Utc::now(),
        };
        let fields = parse("caption,media_url,thumbnail_url,like_count,children{id,media_type}")
            .expect("fields");
        let no_caption = renderer.media(&Post::build(6, Utc::now()), &fields);
        let keys: Vec<&str> = no_caption
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["id", "like_count", "media_url"],
            "image 6 has no caption"
        );
        let licensed = renderer.media(&Post::build(8, Utc::now()), &fields);
        assert!(licensed.get("media_url").is_none() && licensed.get("thumbnail_url").is_some());
        assert!(
            renderer
                .media(&Post::build(7, Utc::now()), &fields)
                .get("like_count")
                .is_none()
        );
        let album = renderer.media(&Post::build(2, Utc::now()), &fields);
        let children = album["children"]["data"].as_array().expect("children list");
        assert!((2..=5).contains(&children.len()));
        assert_eq!(children[1]["media_type"], "VIDEO");
        assert!(
            children[0].get("media_url").is_none(),
            "not requested in children{{…}}"
        );
    }

    #[test]
    fn unknown_fields_are_refused_with_code_100() {
        let fields = parse("id,xyz").expect("parses");
        let error = check_media_fields(&fields).expect_err("xyz is not a field");
        assert_eq!(error.code(), 100);
        let message = error.body()["error"]["message"].to_string();
        assert!(
            message.contains("Tried accessing nonexisting field (xyz)"),
            "{message}"
        );
        let nested = parse("children{id,bogus}").expect("parses");
        assert!(check_media_fields(&nested).is_err());
        assert!(check_profile_fields(&parse("username,caption").expect("parses")).is_err());
    }
}

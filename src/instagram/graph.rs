//! Graph reads: the profile, the media list with paging, single media and carousel children.

use secrecy::{ExposeSecret, SecretString};

use super::wire::{Media, MediaType, Page, Profile, unwrap_data};
use super::{ApiError, InstagramClient, join};

/// Profile fields igfeed shows (documented for the Instagram API with Instagram Login).
pub const PROFILE_FIELDS: &str = "id,user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count";
/// Fields of one carousel child.
pub const CHILD_FIELDS: &str = "id,media_type,media_url,thumbnail_url";
/// Post fields, carousel children expanded inline.
pub const MEDIA_FIELDS: &str = "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,username,like_count,comments_count,alt_text,is_shared_to_feed,children{id,media_type,media_url,thumbnail_url}";
/// Instagram's largest page.
const MAX_PAGE_SIZE: usize = 100;

impl InstagramClient {
    /// The connected account (`GET /me`), wrapped or flat.
    #[tracing::instrument(skip_all)]
    pub async fn profile(&self, token: &SecretString) -> Result<Profile, ApiError> {
        let mut url = self.graph_url(&["me"]);
        url.query_pairs_mut().append_pair("fields", PROFILE_FIELDS);
        let body = self.get_json("me", token, url).await?;
        parse(unwrap_data(body), "profile")
    }

    /// The newest posts, up to `max_posts`, following `paging.next` only on the Graph host.
    #[tracing::instrument(skip_all, fields(max_posts))]
    pub async fn media(
        &self,
        token: &SecretString,
        max_posts: usize,
    ) -> Result<Vec<Media>, ApiError> {
        let mut url = self.graph_url(&["me", "media"]);
        url.query_pairs_mut()
            .append_pair("fields", MEDIA_FIELDS)
            .append_pair("limit", &max_posts.clamp(1, MAX_PAGE_SIZE).to_string());
        let mut posts: Vec<Media> = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let page: Page<Media> = parse(
                self.get_json("media_list", token, url.clone()).await?,
                "media page",
            )?;
            let got = page.data.len();
            posts.extend(page.data);
            if got == 0 || posts.len() >= max_posts {
                break;
            }
            next = page
                .paging
                .and_then(|p| p.next)
                .and_then(|raw| self.safe_next(&raw))
                .filter(|candidate| candidate != &url);
        }
        posts.truncate(max_posts);
        for post in &mut posts {
            if post.media_type == Some(MediaType::CarouselAlbum) && post.children.is_none() {
                match self.children(token, &post.id).await {
                    Ok(children) => {
                        post.children = Some(Page {
                            data: children,
                            paging: None,
                        });
                    }
                    // Instagram will not give this one album's items: show its cover rather
                    // than fail the whole feed.
                    Err(error @ (ApiError::BadRequest { .. } | ApiError::Malformed { .. })) => {
                        tracing::warn!(%error, media_id = %post.id, "carousel items unavailable; showing the cover only");
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(posts)
    }

    /// One post with the given fields, e.g. to renew expired CDN URLs.
    #[tracing::instrument(skip_all)]
    pub async fn media_item(
        &self,
        token: &SecretString,
        media_id: &str,
        fields: &str,
    ) -> Result<Media, ApiError> {
        let mut url = self.graph_url(&[checked_id(media_id)?]);
        url.query_pairs_mut().append_pair("fields", fields);
        parse(self.get_json("media_item", token, url).await?, "media")
    }

    /// The items of a carousel.
    #[tracing::instrument(skip_all)]
    pub async fn children(
        &self,
        token: &SecretString,
        media_id: &str,
    ) -> Result<Vec<Media>, ApiError> {
        let mut url = self.graph_url(&[checked_id(media_id)?, "children"]);
        url.query_pairs_mut().append_pair("fields", CHILD_FIELDS);
        let page: Page<Media> = parse(self.get_json("children", token, url).await?, "children")?;
        Ok(page.data)
    }

    fn graph_url(&self, segments: &[&str]) -> url::Url {
        let mut all = vec![self.endpoints.graph_version.as_str()];
        all.extend_from_slice(segments);
        join(&self.endpoints.graph_base, &all)
    }

    /// A `paging.next` link is followed only on the configured Graph origin, and without the
    /// access token Instagram embeds in it: the token travels in the header instead.
    fn safe_next(&self, raw: &str) -> Option<url::Url> {
        let mut url = url::Url::parse(raw).ok()?;
        if url.origin() != self.endpoints.graph_base.origin() {
            tracing::warn!("ignoring paging.next that points outside the Graph host");
            return None;
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| key != "access_token")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
        Some(url)
    }

    async fn get_json(
        &self,
        endpoint: &'static str,
        token: &SecretString,
        url: url::Url,
    ) -> Result<serde_json::Value, ApiError> {
        self.transport
            .call(endpoint, &[token], |http| {
                http.get(url.clone()).bearer_auth(token.expose_secret())
            })
            .await
    }
}

/// Media ids are numeric; anything else must not become part of a URL path.
fn checked_id(media_id: &str) -> Result<&str, ApiError> {
    if !media_id.is_empty() && media_id.len() <= 32 && media_id.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(media_id)
    } else {
        Err(ApiError::BadRequest {
            code: 400,
            message: "media id must be numeric".into(),
        })
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Malformed {
        reason: format!("unexpected {what} ({e})"),
    })
}

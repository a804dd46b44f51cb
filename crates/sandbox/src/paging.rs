//! Cursor paging for `/me/media`: opaque cursors and absolute `next`/`previous` links.

use url::Url;

use super::posts::seed_of_media_id;

/// Default page size when `limit` is absent, and the most Instagram returns per page.
pub(crate) const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;

/// An opaque cursor naming a post, shaped like Instagram's base64 "QVFI…" cursors.
pub(crate) fn cursor(media_id: &str) -> String {
    let hex: String = media_id.bytes().map(|b| format!("{b:02X}")).collect();
    format!("QVFI{hex}")
}

/// The seed of the post a cursor names; `None` for anything the sandbox did not hand out.
pub(crate) fn decode_cursor(cursor: &str) -> Option<u64> {
    let hex = cursor.strip_prefix("QVFI")?;
    if hex.len() % 2 != 0 || hex.len() > 64 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    seed_of_media_id(std::str::from_utf8(&bytes).ok()?)
}

/// The page size asked for: absent means 25, anything above 100 means 100, 0 means 1.
pub(crate) fn limit(raw: Option<&str>) -> Result<usize, String> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .map(|n| (n.clamp(1, MAX_LIMIT as u64)) as usize)
            .map_err(|_| format!("(#100) Param limit must be a number, got '{text}'")),
    }
}

/// The same request with one cursor set and the other removed.
///
/// Instagram repeats every query parameter in its links, the access token included, even when
/// the request carried the token in a header; igfeed must treat these links as secrets.
pub(crate) fn link(
    base: &Url,
    path: &str,
    params: &[(String, String)],
    token: &str,
    set: (&str, &str),
) -> String {
    let mut url = base.clone();
    url.set_path(path);
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (key, value) in params {
            if key != "after" && key != "before" {
                query.append_pair(key, value);
            }
        }
        if !params.iter().any(|(key, _)| key == "access_token") {
            query.append_pair("access_token", token);
        }
        query.append_pair(set.0, set.1);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        assert_eq!(decode_cursor(&cursor("17900000000001009")), Some(1));
        for junk in ["", "QVFI", "QVFIZZ", "QVFI3", "abc", "QVFI313233"] {
            assert_eq!(decode_cursor(junk), None, "{junk}");
        }
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(limit(None), Ok(25));
        assert_eq!(limit(Some("500")), Ok(100));
        assert_eq!(limit(Some("0")), Ok(1));
        assert!(limit(Some("ten")).is_err());
    }

    #[test]
    fn links_repeat_every_parameter_and_add_the_header_token() {
        let base = Url::parse("http://127.0.0.1:1/").expect("base");
        let params = vec![
            ("fields".to_owned(), "id,caption".to_owned()),
            ("limit".to_owned(), "2".to_owned()),
            ("after".to_owned(), "old".to_owned()),
        ];
        let next = link(
            &base,
            "/v23.0/me/media",
            &params,
            "IGAAsecret",
            ("after", "QVFI31"),
        );
        assert_eq!(
            next,
            "http://127.0.0.1:1/v23.0/me/media?fields=id%2Ccaption&limit=2&access_token=IGAAsecret&after=QVFI31"
        );
    }
}

//! Properties of `/feed.json`'s query over generated query strings: any query is a page
//! request within its bounds or a 400 naming `limit` or `after`, and the `next` cursor a page
//! hands out asks for exactly the page after it.

use actix_web::ResponseError as _;
use proptest::prelude::*;

use super::*;

fn page(query: &str) -> Option<Result<PageRequest, WebError>> {
    let query = web::Query::<FeedQuery>::from_query(query).ok()?;
    Some(query.page())
}

proptest! {
    #[test]
    fn any_query_is_a_bounded_page_or_a_400_naming_the_parameter(
        limit in prop::option::of(prop_oneof!["\\PC{0,8}", "[ +-]?0{0,2}[0-9]{1,4}", any::<u64>().prop_map(|n| n.to_string())]),
        after in prop::option::of(prop_oneof!["\\PC{0,30}", "[0-9]{1,20}".prop_map(|id| cursor::encode(&id))]),
    ) {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(limit) = &limit {
            query.append_pair("limit", limit);
        }
        if let Some(after) = &after {
            query.append_pair("after", after);
        }
        let Some(result) = page(&query.finish()) else { return Ok(()) };
        match result {
            Ok(request) => {
                if let Some(n) = request.limit {
                    prop_assert!((1..=MAX_PAGE).contains(&n));
                    // Read digit for digit: `+5`, `5 ` or `5.0` never become 5.
                    let written = n.to_string();
                    prop_assert_eq!(limit.as_deref().map(|l| l.trim_start_matches('0')), Some(written.as_str()));
                }
                if let Some(id) = &request.after {
                    prop_assert_eq!(after.as_deref().map(cursor::decode), Some(Ok(id.clone())));
                }
            }
            Err(error) => {
                prop_assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
                let message = error.to_string();
                prop_assert!(message.starts_with("`limit`") || message.starts_with("`after`"), "{}", message);
            }
        }
    }

    #[test]
    fn a_next_cursor_asks_for_the_page_after_its_post(id in "[0-9]{1,25}", limit in 1..=MAX_PAGE) {
        let query = format!("limit={limit}&after={}", cursor::encode(&id));
        let request = page(&query).expect("a query").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(request, PageRequest { limit: Some(limit), after: Some(id) });
    }
}

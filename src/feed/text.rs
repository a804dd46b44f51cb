//! Hashtags and mentions found in a caption, so sites can link or filter them without
//! re-implementing Instagram's rules in JavaScript.
//!
//! The scanner is a single pass over the caption (linear in its length whatever it contains):
//! a `#` or `@` only starts a tag at the start of a word, never inside a word (`a#b`,
//! `me@x.com`) or inside a link (`https://x.com/#frag`, `medium.com/@user`).

use std::collections::HashSet;

/// Instagram's limit on the length of a username.
const MAX_HANDLE: usize = 30;

/// Hashtags of `caption` without the `#`, in order of appearance, the first spelling kept when
/// the same tag appears again in another case (`#Sunset … #sunset`).
pub(crate) fn hashtags(caption: &str) -> Vec<String> {
    collect(caption, '#', hashtag_at)
}

/// Mentioned handles of `caption` without the `@`, in order of appearance, deduplicated
/// case-insensitively like Instagram's handles.
pub(crate) fn mentions(caption: &str) -> Vec<String> {
    collect(caption, '@', mention_at)
}

/// Whether `handle` is a plausible Instagram username (ASCII letters, digits, `.` and `_`,
/// at most 30 characters), so it can be put into a URL path unescaped.
pub(crate) fn is_handle(handle: &str) -> bool {
    !handle.is_empty() && handle.len() <= MAX_HANDLE && handle.chars().all(is_handle_char)
}

/// Runs `read` at every `sigil` that starts a word outside a link, deduplicating the results.
fn collect(caption: &str, sigil: char, read: fn(&str) -> Option<&str>) -> Vec<String> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let mut word_start = 0;
    // Whether the current word is a URL; tracked incrementally so the scan stays linear.
    let mut in_link = false;
    let mut prev: [Option<char>; 2] = [None, None];
    for (i, c) in caption.char_indices() {
        if c.is_whitespace() {
            word_start = i + c.len_utf8();
            in_link = false;
        } else if c == '/' && prev == [Some(':'), Some('/')] {
            in_link = true;
        } else if c == '.' && i == word_start + 3 {
            in_link |= caption[word_start..i].eq_ignore_ascii_case("www");
        } else if c == sigil
            && !in_link
            && starts_word(prev[1])
            && let Some(tag) = read(&caption[i + c.len_utf8()..])
            && seen.insert(tag.to_lowercase())
        {
            found.push(tag.to_owned());
        }
        prev = [prev[1], Some(c)];
    }
    found
}

/// A tag starts a word: nothing, or something that cannot be part of a word, a path or an
/// HTML entity (`&#39;`) comes right before it. Emoji and punctuation are fine (`🌅#sunset`).
fn starts_word(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(c) => !(is_tag_char(c) || matches!(c, '/' | '&' | '#' | '@')),
    }
}

/// Reads a hashtag body: letters, marks and digits of any script and `_`, with at least one
/// non-digit so that `#1` (a list number) is not a tag while `#2024goals` is.
fn hashtag_at(rest: &str) -> Option<&str> {
    let end = rest.find(|c| !is_tag_char(c)).unwrap_or(rest.len());
    let tag = &rest[..end];
    tag.chars()
        .any(|c| c.is_alphabetic() || c == '_')
        .then_some(tag)
}

/// Reads a handle: ASCII letters, digits, `.` and `_`; a trailing `.` ends the sentence, not
/// the handle. Longer runs than Instagram allows are not handles at all.
fn mention_at(rest: &str) -> Option<&str> {
    let end = rest.find(|c| !is_handle_char(c)).unwrap_or(rest.len());
    let handle = rest[..end].trim_end_matches('.');
    is_handle(handle).then_some(handle)
}

/// Letters, combining marks and digits of any script, plus `_` (Unicode's identifier
/// characters): `#café` written with a combining accent and `#हिन्दी` stay whole.
fn is_tag_char(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_continue(c)
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_follow_instagram_rules() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("#sunset", &["sunset"]),
            ("Golden hour #sunset #studio", &["sunset", "studio"]),
            ("#café au lait", &["café"]),
            ("#cafe\u{301} decomposed", &["cafe\u{301}"]),
            ("#日本 #العربية #हिन्दी", &["日本", "العربية", "हिन्दी"]),
            ("🌅#sunset", &["sunset"]),
            ("#sunset🌅", &["sunset"]),
            ("#one,#two.#three!", &["one", "two", "three"]),
            ("(#paren) \"#quoted\"", &["paren", "quoted"]),
            ("#snake_case #_under", &["snake_case", "_under"]),
            ("a#b", &[]),
            ("https://x.com/#frag", &[]),
            ("see www.x.com#frag", &[]),
            ("x.com/page#frag", &[]),
            ("&#39; entity", &[]),
            ("#1 #42 #2024goals", &["2024goals"]),
            ("# alone and #", &[]),
            ("##double", &[]),
            ("#Sunset #sunset #SUNSET #other", &["Sunset", "other"]),
            ("<script>#xss</script>", &["xss"]),
            ("line\n#next\tline#no", &["next"]),
        ];
        for (caption, want) in cases {
            assert_eq!(hashtags(caption), *want, "hashtags of {caption:?}");
        }
    }

    #[test]
    fn mentions_follow_instagram_rules() {
        let long = "a".repeat(31);
        let thirty = "b".repeat(30);
        let too_long = format!("hi @{long} and @{thirty}");
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("Thanks @print.house for the paper", &["print.house"]),
            ("with @maria.lens.", &["maria.lens"]),
            ("@a_b @c.d... @e", &["a_b", "c.d", "e"]),
            ("mail me@x.com", &[]),
            ("https://medium.com/@someone", &[]),
            ("(@paren) 📸@cam", &["paren", "cam"]),
            ("@Bob @bob @BOB", &["Bob"]),
            ("@ alone @. @...", &[]),
            ("@bob's photo", &["bob"]),
            ("@jürgen", &["j"]),
            (too_long.as_str(), &[thirty.as_str()]),
        ];
        for (caption, want) in cases {
            assert_eq!(mentions(caption), *want, "mentions of {caption:?}");
        }
    }

    #[test]
    fn handles_are_ascii_and_short() {
        for (handle, ok) in [
            ("sandbox.studio", true),
            ("a_1", true),
            ("", false),
            ("with space", false),
            ("../etc", false),
            ("jürgen", false),
            (&"x".repeat(31), false),
        ] {
            assert_eq!(is_handle(handle), ok, "is_handle({handle:?})");
        }
    }

    #[test]
    fn hostile_captions_are_scanned_in_linear_time() {
        let caption = "😀#".repeat(50_000) + &"@".repeat(50_000) + &"#".repeat(50_000);
        assert_eq!(hashtags(&caption), Vec::<String>::new());
        assert_eq!(mentions(&caption), Vec::<String>::new());
        let spaced = "#a ".repeat(50_000);
        assert_eq!(hashtags(&spaced), vec!["a".to_owned()]);
    }
}

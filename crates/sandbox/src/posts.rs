//! The accounts' posts, generated deterministically from a seed per post.
//!
//! Posts are not stored: each account's timeline keeps only (seed, time) pairs, newest first,
//! and [`Post::build`] derives everything else, so tests see the same feed on every run. A
//! seed is the account's base (see [`SEED_SPAN`]) plus a local seed; the local seed decides
//! the post's shape, so every account has the same mix of images, albums and reels.
//!
//! Every reel of the first account is shared to its profile grid (`is_shared_to_feed` true),
//! so tests written for one account see every post in a grid-like feed. Every later account
//! (`harness.cafe` by default) has two reels that are not: local seed 8 (the reel with
//! licensed music) was posted to the Reels tab only, and local seed 9 is a trial reel, shown
//! to non-followers only. Both answer `is_shared_to_feed: false`.

use chrono::{DateTime, Utc};

use super::accounts::SEED_SPAN;

const MEDIA_ID_BASE: u64 = 17_900_000_000_000_000;
const MEDIA_ID_STEP: u64 = 1_009;
const CHILD_ID_BASE: u64 = 17_950_000_000_000_000;
/// Local seeds of posts published through `add_post` start here; generated history stays
/// below.
pub(crate) const ADDED_SEED_BASE: u64 = 1_000_000;
/// In every account but the first, the reel posted to the Reels tab only.
const REELS_TAB_ONLY: u64 = 8;
/// In every account but the first, the trial reel.
const TRIAL_REEL: u64 = 9;

/// `media_type` of a post or carousel child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Image,
    Video,
    Carousel,
}

impl Kind {
    /// The value Instagram sends in `media_type`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "IMAGE",
            Kind::Video => "VIDEO",
            Kind::Carousel => "CAROUSEL_ALBUM",
        }
    }
}

/// The three shapes Instagram allows in the feed, all 1080 px wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aspect {
    Square,
    Portrait,
    Landscape,
}

impl Aspect {
    /// Pixel size of the original image.
    pub(crate) fn size(self) -> (u32, u32) {
        match self {
            Aspect::Square => (1080, 1080),
            Aspect::Portrait => (1080, 1350),
            Aspect::Landscape => (1080, 566),
        }
    }
}

/// One item of a carousel.
#[derive(Debug, Clone)]
pub(crate) struct Child {
    pub(crate) id: String,
    pub(crate) kind: Kind,
    pub(crate) timestamp: DateTime<Utc>,
}

/// Everything the Graph API can say about one post.
#[derive(Debug, Clone)]
pub(crate) struct Post {
    pub(crate) id: String,
    pub(crate) kind: Kind,
    pub(crate) reel: bool,
    /// `is_shared_to_feed`: false for a reel the profile grid does not show (Reels tab only,
    /// trial reels); true for every other post, though Instagram tells it for reels only.
    pub(crate) shared_to_feed: bool,
    /// False for media Instagram withholds (licensed music on a reel).
    pub(crate) has_media_url: bool,
    pub(crate) caption: Option<String>,
    pub(crate) alt_text: Option<String>,
    pub(crate) like_count: Option<u64>,
    pub(crate) comments_count: u64,
    pub(crate) shortcode: String,
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) aspect: Aspect,
    pub(crate) children: Vec<Child>,
}

const CAPTIONS: &[&str] = &[
    "Golden hour on the roof ☀️🌇 #sunset #studio #igfeed",
    "New prints are in! Come by the shop 🖼️✨\nThanks @print.house for the paper 🙏 #print #risograph",
    "Behind the scenes with @maria.lens 📸 #bts #photography",
    "Coffee first. Then pixels. ☕️ #mondaymood",
    "Three colours, one idea 🎨🎨🎨 #colour #design #sandbox",
    "Studio plants are thriving 🌿 (finally) #plantsofinstagram",
    "Long caption test — a story in several lines.\n\nLine two 👋\nLine three with a link-ish thing: example.com #longread",
    "Ünïcödé ✓ 日本語 ✓ العربية ✓ 🇺🇦 ✓ #unicode",
];

impl Post {
    /// Derives the post for `seed` published at `timestamp`.
    pub(crate) fn build(seed: u64, timestamp: DateTime<Utc>) -> Post {
        let h = mix(seed);
        let local = seed % SEED_SPAN;
        let added = local >= ADDED_SEED_BASE;
        let later_account = seed >= SEED_SPAN;
        let (kind, reel) = match (added, local) {
            (true, _) => (Kind::Image, false),
            (_, 2) => (Kind::Carousel, false),
            (_, TRIAL_REEL) if later_account => (Kind::Video, true),
            (_, 3) | (_, 8) => (Kind::Video, true),
            (_, 5) => (Kind::Video, false),
            (_, 1) | (_, 4) | (_, 6) | (_, 7) => (Kind::Image, false),
            _ => match h % 10 {
                0..=4 => (Kind::Image, false),
                5 | 6 => (Kind::Carousel, false),
                7 => (Kind::Video, false),
                _ => (Kind::Video, true),
            },
        };
        let aspect = match (local, (h >> 8) % 3) {
            (1 | 2, _) => Aspect::Portrait,
            (_, 0) => Aspect::Square,
            (_, 1) => Aspect::Portrait,
            _ => Aspect::Landscape,
        };
        let caption = match local {
            _ if added => Some(format!(
                "Fresh from the sandbox ✨ post +{} #new",
                local - ADDED_SEED_BASE
            )),
            1 => Some(
                "Hello from the sandbox! 👋🌈 Shot with @sandbox.friend at #igfeed #launch 🚀"
                    .to_owned(),
            ),
            4 => Some("<script>alert(1)</script> & <b>bold</b>".to_owned()),
            6 => None,
            _ => Some(CAPTIONS[((h >> 32) % CAPTIONS.len() as u64) as usize].to_owned()),
        };
        let alt_text = (kind == Kind::Image && (local == 1 || (h >> 40).is_multiple_of(3)))
            .then(|| format!("A colour field with the number {} drawn on it", label(seed)));
        let children = if kind == Kind::Carousel {
            let count = 2 + (h >> 16) % 4;
            (1..=count)
                .map(|c| Child {
                    id: (CHILD_ID_BASE + seed * 10 + c).to_string(),
                    kind: if (local == 2 && c == 2) || (h >> (20 + c)).is_multiple_of(4) {
                        Kind::Video
                    } else {
                        Kind::Image
                    },
                    timestamp,
                })
                .collect()
        } else {
            Vec::new()
        };
        Post {
            id: (MEDIA_ID_BASE + seed * MEDIA_ID_STEP).to_string(),
            kind,
            reel,
            shared_to_feed: !(reel
                && later_account
                && matches!(local, REELS_TAB_ONLY | TRIAL_REEL)),
            has_media_url: local != 8,
            caption,
            alt_text,
            like_count: (local != 7).then_some(12 + (h >> 44) % 900),
            comments_count: (h >> 54) % 40,
            shortcode: shortcode(h),
            timestamp,
            aspect,
            children,
        }
    }

    /// `https://www.instagram.com/p/<shortcode>/`, or `/reel/` for reels.
    pub(crate) fn permalink(&self) -> String {
        let kind = if self.reel { "reel" } else { "p" };
        format!("https://www.instagram.com/{kind}/{}/", self.shortcode)
    }
}

/// What the images of a post show: its rank in its account's generated history, or `+n` for
/// added ones.
pub(crate) fn label(seed: u64) -> String {
    let local = seed % SEED_SPAN;
    if local >= ADDED_SEED_BASE {
        format!("+{}", local - ADDED_SEED_BASE)
    } else {
        local.to_string()
    }
}

/// The seed of the post whose media id is `id`, if `id` has that form at all.
pub(crate) fn seed_of_media_id(id: &str) -> Option<u64> {
    let offset = id.parse::<u64>().ok()?.checked_sub(MEDIA_ID_BASE)?;
    (offset % MEDIA_ID_STEP == 0 && offset < CHILD_ID_BASE - MEDIA_ID_BASE)
        .then_some(offset / MEDIA_ID_STEP)
}

/// The parent seed and position (from 1) of the carousel child whose id is `id`.
pub(crate) fn seed_of_child_id(id: &str) -> Option<(u64, u64)> {
    let offset = id.parse::<u64>().ok()?.checked_sub(CHILD_ID_BASE)?;
    Some((offset / 10, offset % 10))
}

/// SplitMix64: a fixed, well-spread hash so a seed always yields the same post.
pub(crate) fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn shortcode(h: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = mix(h);
    (0..11)
        .map(|i| {
            if i == 10 {
                bits = mix(bits);
            }
            let c = ALPHABET[(bits & 63) as usize];
            bits >>= 6;
            char::from(c)
        })
        .collect()
}

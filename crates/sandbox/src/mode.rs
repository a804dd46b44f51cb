//! The knobs a test or a human turns: how the sandbox misbehaves and how it shapes bodies.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the sandbox answers right now; tests flip it to watch igfeed ride through trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Everything works as documented.
    #[default]
    Healthy,
    /// Every API call fails with HTTP 500 and a transient Graph error (code 2).
    Outage,
    /// Every API call waits this long, then answers normally.
    Slow {
        /// How long each call is held before it is answered.
        delay: Duration,
    },
    /// Every API call fails with HTTP 429 and a usage header.
    RateLimited {
        /// The Graph error code: 4 (app limit) or 80002 (Instagram account limit).
        code: i64,
        /// What `estimated_time_to_regain_access` says, in minutes. Any `u64`, so a test
        /// can send absurd values and watch a client survive them.
        regain_minutes: u64,
    },
    /// Every token presented is treated as invalidated (190/460).
    TokenRevoked,
    /// Every token presented is treated as expired (190/463).
    TokenExpired,
    /// The CDN answers 403 "URL signature expired" for every image.
    CdnExpired,
    /// The CDN sends the head and the first bytes of every file, then nothing more until the
    /// client gives up (a stalled edge server).
    CdnStalled,
    /// API calls answer HTTP 200 with a truncated JSON body.
    Malformed,
}

impl Mode {
    /// The kebab-case name the control API uses.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Healthy => "healthy",
            Mode::Outage => "outage",
            Mode::Slow { .. } => "slow",
            Mode::RateLimited { .. } => "rate-limited",
            Mode::TokenRevoked => "token-revoked",
            Mode::TokenExpired => "token-expired",
            Mode::CdnExpired => "cdn-expired",
            Mode::CdnStalled => "cdn-stalled",
            Mode::Malformed => "malformed",
        }
    }
}

/// Which of the body shapes seen in the wild the OAuth and `/me` answers use.
///
/// Meta documents the wrapped form while live integrations see the flat one, so igfeed must
/// accept all of them; the sandbox can produce each on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyShape {
    /// `{"data":[{…}]}`, as the documentation shows.
    Wrapped,
    /// The object itself, ids as strings.
    #[default]
    Flat,
    /// The object itself with `user_id` as a JSON number larger than 2^53.
    FlatNumericIds,
}

/// The two lifetimes of Instagram user tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// One hour, straight out of the code exchange.
    ShortLived,
    /// Sixty days, from the exchange or a refresh.
    LongLived,
}

/// The JSON body of `POST /_sandbox/mode`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModeRequest {
    mode: ModeName,
    delay_ms: Option<u64>,
    code: Option<i64>,
    regain_minutes: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum ModeName {
    Healthy,
    Outage,
    Slow,
    RateLimited,
    TokenRevoked,
    TokenExpired,
    CdnExpired,
    CdnStalled,
    Malformed,
}

impl TryFrom<ModeRequest> for Mode {
    type Error = String;

    fn try_from(request: ModeRequest) -> Result<Self, Self::Error> {
        Ok(match request.mode {
            ModeName::Healthy => Mode::Healthy,
            ModeName::Outage => Mode::Outage,
            ModeName::Slow => Mode::Slow {
                delay: Duration::from_millis(request.delay_ms.unwrap_or(1000)),
            },
            ModeName::RateLimited => {
                let code = request.code.unwrap_or(4);
                if code != 4 && code != 80002 {
                    return Err(format!("rate-limited code must be 4 or 80002, not {code}"));
                }
                Mode::RateLimited {
                    code,
                    regain_minutes: request.regain_minutes.unwrap_or(10),
                }
            }
            ModeName::TokenRevoked => Mode::TokenRevoked,
            ModeName::TokenExpired => Mode::TokenExpired,
            ModeName::CdnExpired => Mode::CdnExpired,
            ModeName::CdnStalled => Mode::CdnStalled,
            ModeName::Malformed => Mode::Malformed,
        })
    }
}

/// The JSON body of `POST /_sandbox/shape`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShapeRequest {
    /// The shape to switch to.
    pub(crate) shape: BodyShape,
}

/// The JSON body of `POST /_sandbox/expires-in`: what the token endpoints announce as
/// `expires_in` instead of the token's real remaining lifetime (`null` = the truth).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpiresInRequest {
    /// Seconds to announce.
    pub(crate) expires_in: Option<u64>,
}

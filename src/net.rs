//! Network values the settings name and several layers use: the hosts igfeed may download
//! from and the proxies it trusts. Leaves, so that `config` can check them without reaching up
//! into the modules that use them.

mod hosts;
mod proxies;

pub use hosts::{HostPattern, is_allowed};
pub use proxies::{parse_trusted_proxies, parse_trusted_proxy};

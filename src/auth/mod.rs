//! The owner's login, apart from HTTP: the admin secret and its checks, the sessions igfeed
//! has issued, the throttle on failed logins and the known-device cookies that keep the owner
//! from being locked out by it, and the bearer-token check of the operator and admin APIs. `web::admin` turns them into pages, cookies
//! and answers (as zero2prod keeps `authentication/` apart from `routes/`).
//!
//! Nothing here reads the settings: it is given the values it needs, so that `config` can use
//! [`password_hash_problem`] to check `admin.password_hash` at startup.

mod bearer;
mod device;
mod registry;
mod secret;
mod throttle;

pub use bearer::bearer_matches;
pub use device::{DeviceCookies, DeviceId};
pub use registry::SessionRegistry;
pub use secret::{AdminSecret, password_hash_problem, random_hex};
pub use throttle::{GLOBAL_FAILURES_PER_MINUTE, LoginThrottle, shared as shared_throttle};

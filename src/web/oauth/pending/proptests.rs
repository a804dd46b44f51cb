//! Properties of the OAuth callback's `state` over generated values: only a state igfeed
//! issued to this session, within its lifetime, passes, and only once; any other text a
//! caller puts in the callback URL is refused.

use chrono::TimeZone as _;
use proptest::prelude::*;

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0)
        .single()
        .expect("a time")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn an_issued_state_passes_once_for_its_session_in_time(
        seconds_later in 0i64..1200,
        same_session in any::<bool>(),
        guess in prop_oneof!["\\PC{0,40}", "[0-9a-f]{32}"],
    ) {
        let pending = PendingAuthorizations::default();
        let state = pending.issue("sid-a", t0());
        prop_assume!(guess != state);
        let now = t0() + TimeDelta::seconds(seconds_later);
        let expected = if guess.is_empty() {
            StateProblem::Missing
        } else {
            StateProblem::Unknown
        };
        prop_assert_eq!(pending.redeem(Some(&guess), "sid-a", now), Err(expected));
        let sid = if same_session { "sid-a" } else { "sid-b" };
        let first = pending.redeem(Some(&state), sid, now);
        let wanted = if TimeDelta::seconds(seconds_later) >= STATE_LIFETIME {
            Err(StateProblem::Expired)
        } else if !same_session {
            Err(StateProblem::OtherSession)
        } else {
            Ok(())
        };
        prop_assert_eq!(first, wanted);
        prop_assert_eq!(pending.redeem(Some(&state), sid, now), Err(StateProblem::Unknown), "single use");
    }
}

//! Properties of known-device cookies over generated values: every issued cookie names its
//! device, and nothing else a browser sends does — not a changed character, not another
//! installation's cookie, not any text at all.

use proptest::prelude::*;

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn an_issued_cookie_names_its_device_and_no_changed_one_does(
        key in prop::collection::vec(any::<u8>(), 32..64),
        position in any::<prop::sample::Index>(),
        replacement in "[0-9a-fA-F.]",
    ) {
        let cookies = DeviceCookies::new(&key);
        let value = cookies.issue();
        let device = cookies.verify(&value);
        prop_assert_eq!(device.as_ref().map(|d| d.0.as_str()), value.split('.').next());
        let at = position.index(value.len());
        prop_assume!(value[at..=at] != replacement);
        let tampered = format!("{}{replacement}{}", &value[..at], &value[at + 1..]);
        prop_assert_eq!(cookies.verify(&tampered), None, "{}", tampered);
    }

    #[test]
    fn another_installations_cookie_is_no_device(
        ours in prop::collection::vec(any::<u8>(), 32),
        theirs in prop::collection::vec(any::<u8>(), 32),
    ) {
        prop_assume!(ours != theirs);
        let value = DeviceCookies::new(&theirs).issue();
        prop_assert_eq!(DeviceCookies::new(&ours).verify(&value), None);
    }

    #[test]
    fn any_text_is_no_device(
        value in prop_oneof!["\\PC{0,120}", "[0-9a-f]{32}\\.[0-9a-f]{64}", "[0-9a-f.]{0,120}"]
    ) {
        prop_assert_eq!(DeviceCookies::new(&[7; 32]).verify(&value), None);
    }
}

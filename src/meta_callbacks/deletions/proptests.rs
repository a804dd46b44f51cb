//! Properties of data-deletion confirmation codes over generated text: every code igfeed
//! hands out is read back as itself, and any other text a visitor puts in the status URL is
//! either exactly that shape or refused.

use proptest::prelude::*;

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn codes_in_the_generated_form_read_back(bytes in any::<[u8; CODE_BYTES]>()) {
        // `generate` encodes random bytes exactly so.
        let written = URL_SAFE_NO_PAD.encode(bytes);
        let code = ConfirmationCode::parse(&written);
        prop_assert_eq!(code.as_ref().map(ConfirmationCode::as_str), Some(written.as_str()));
        let generated = ConfirmationCode::generate();
        prop_assert_eq!(ConfirmationCode::parse(generated.as_str()), Some(generated));
    }

    #[test]
    fn any_text_is_a_code_only_in_the_generated_shape(
        raw in prop_oneof!["\\PC{0,30}", "[A-Za-z0-9_=+/.-]{20,24}"]
    ) {
        let shape = raw.len() == CODE_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        prop_assert_eq!(ConfirmationCode::parse(&raw).is_some(), shape, "{:?}", raw);
    }
}

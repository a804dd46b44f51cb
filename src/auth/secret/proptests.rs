//! Properties of `admin.password_hash` over generated hashes and text: every argon2 PHC
//! string (any variant, any usable parameters) is accepted and verifies exactly its own
//! password; any other text is refused with a reason, never a panic.

use argon2::password_hash::{PasswordHasher as _, SaltString};
use argon2::{Algorithm, Params, Version};
use proptest::prelude::*;

use super::*;

fn verify(secret: &AdminSecret, candidate: &str) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(secret.verify(SecretString::from(candidate)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn argon2_hashes_are_accepted_and_verify_their_own_password(
        algorithm in prop::sample::select(&[Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d][..]),
        lanes in 1u32..3,
        extra_memory in 0u32..32,
        passes in 1u32..3,
        salt in any::<[u8; 16]>(),
        password in "\\PC{1,20}",
        other in "\\PC{1,20}",
    ) {
        prop_assume!(password != other);
        let params = Params::new(8 * lanes + extra_memory, passes, lanes, None).expect("usable parameters");
        let salt = SaltString::encode_b64(&salt).expect("a salt");
        let phc = Argon2::new(algorithm, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .expect("hashes")
            .to_string();
        prop_assert_eq!(password_hash_problem(&phc), None, "{}", phc);
        let secret = AdminSecret::new(None, Some(&SecretString::from(phc)));
        prop_assert!(verify(&secret, &password));
        prop_assert!(!verify(&secret, &other));
    }
}

proptest! {
    #[test]
    fn any_text_is_an_argon2_hash_or_a_reason(
        raw in prop_oneof![
            "\\PC{0,60}",
            "\\$(argon2id|argon2i|pbkdf2|scrypt)\\$v=(16|19)\\$m=[0-9]{1,6},t=[0-9]{1,2},p=[0-9]{1,2}\\$[A-Za-z0-9+/]{0,24}(\\$[A-Za-z0-9+/]{0,44})?",
        ]
    ) {
        match password_hash_problem(&raw) {
            None => {
                let hash = PasswordHash::new(&raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(hash.algorithm.as_str().starts_with("argon2"));
                prop_assert!(hash.hash.is_some());
            }
            Some(reason) => prop_assert!(!reason.is_empty()),
        }
    }
}

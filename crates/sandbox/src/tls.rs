//! HTTPS for the sandbox: a throwaway CA and a `localhost` certificate it signs.
//!
//! Clients trust the CA (from `RunningSandbox::ca_pem`) exactly like they would need to trust a
//! corporate proxy, so igfeed's TLS path is exercised without turning verification off.

use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A server configuration and the CA that clients must trust to accept it.
pub(crate) struct Tls {
    pub(crate) ca_pem: String,
    pub(crate) server_config: rustls::ServerConfig,
}

/// Generates a fresh CA and a leaf certificate for `localhost` and `127.0.0.1`.
pub(crate) fn generate() -> anyhow::Result<Tls> {
    let ca_key = KeyPair::generate().context("Failed to generate the sandbox CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "igfeed sandbox CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("Failed to self-sign the sandbox CA")?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().context("Failed to generate the sandbox server key")?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_usages.push(KeyUsagePurpose::DigitalSignature);
    leaf.extended_key_usages
        .push(ExtendedKeyUsagePurpose::ServerAuth);
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .context("Failed to sign the sandbox server certificate")?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    // The provider is named explicitly: the process may link more than one rustls backend.
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("Failed to choose TLS versions")?
    .with_no_client_auth()
    .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
    .context("Failed to build the sandbox TLS configuration")?;
    Ok(Tls {
        ca_pem: ca_cert.pem(),
        server_config,
    })
}

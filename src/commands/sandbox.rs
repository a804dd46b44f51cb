//! `igfeed sandbox`: the local Instagram stand-in, for humans and scripts.

use std::net::TcpListener;

use std::io::Write;

use anyhow::Context;
use igfeed_sandbox::SandboxConfig;

use crate::cli::SandboxArgs;
use crate::clock;

/// Runs the sandbox until interrupted, after printing how to point igfeed at it.
pub fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let mut config = SandboxConfig {
        post_count: args.posts,
        tls: args.tls,
        photos_dir: args.photos_dir,
        ..SandboxConfig::default()
    };
    if let Some(app_id) = args.app_id {
        config.app_id = app_id;
    }
    if let Some(app_secret) = args.app_secret {
        config.app_secret = app_secret;
    }
    if !args.redirect_uris.is_empty() {
        config.redirect_uris = args.redirect_uris;
    }
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    actix_web::rt::System::new().block_on(async move {
        let app_id = config.app_id.clone();
        let running = igfeed_sandbox::spawn(config, clock::system(), listener).await?;
        if let (Some(path), Some(pem)) = (&args.ca_out, running.ca_pem()) {
            std::fs::write(path, pem).with_context(|| {
                format!("cannot write the CA certificate to {}", path.display())
            })?;
        }
        let base = running.base_url().as_str().trim_end_matches('/').to_owned();
        // A closed stdout (the reader went away) must not take the sandbox down.
        let _ = std::io::stdout().write_all(banner(&base, &app_id).as_bytes());
        let _ = std::io::stdout().flush();
        running.wait().await.context("sandbox server failed")
    })
}

fn banner(base: &str, app_id: &str) -> String {
    format!(
        "Instagram sandbox listening on {base}/\n\
         Point igfeed at it with:\n\
         \x20 IGFEED__INSTAGRAM__AUTHORIZE_URL={base}/oauth/authorize\n\
         \x20 IGFEED__INSTAGRAM__API_BASE={base}\n\
         \x20 IGFEED__INSTAGRAM__GRAPH_BASE={base}\n\
         \x20 IGFEED__INSTAGRAM__APP_ID={app_id}\n\
         \x20 IGFEED__INSTAGRAM__APP_SECRET=<the sandbox app secret>\n\
         Control it: POST {base}/_sandbox/mode, GET {base}/_sandbox/stats\n"
    )
}

//! `igfeed demo`: igfeed wired to an in-process Instagram sandbox, so the whole product runs
//! on one machine with no Meta account, no network and no setup.

use std::net::TcpListener;
use std::time::Duration;

use anyhow::Context;
use igfeed_sandbox::{RunningSandbox, SandboxConfig, TokenKind};
use secrecy::SecretString;

use crate::cli::DemoArgs;
use crate::clock::{self, SharedClock};
use crate::config::{CALLBACK_PATH, Settings};
use crate::connection::import_token;
use crate::startup::Application;

/// Runs the sandbox and igfeed until interrupted.
pub fn run(mut settings: Settings, args: DemoArgs) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind((settings.server.host.as_str(), args.port)).with_context(|| {
            format!(
                "cannot listen on {}:{} (--port)",
                settings.server.host, args.port
            )
        })?;
    let port = listener
        .local_addr()
        .context("listener has no address")?
        .port();
    let public = settings.public_url(port);
    let sandbox_listener =
        TcpListener::bind("127.0.0.1:0").context("cannot open a port for the sandbox")?;
    let mut callback = public.clone();
    callback.set_path(CALLBACK_PATH);
    let sandbox_config = SandboxConfig {
        redirect_uris: vec![callback.to_string()],
        photos_dir: args.photos_dir.clone(),
        ..SandboxConfig::default()
    };
    settings.storage.dir = demo_storage(port)?;
    let password = generate_unless_set(&mut settings.admin.password, 16);
    // The admin API is on in the demo, so feeds can be curated from a script too.
    let api_token = generate_unless_set(&mut settings.admin.api_token, 32);
    actix_web::rt::System::new().block_on(async move {
        let clock = clock::system();
        let sandbox =
            igfeed_sandbox::spawn(sandbox_config.clone(), clock.clone(), sandbox_listener).await?;
        point_at(&mut settings, &sandbox, &sandbox_config, callback);
        let app = Application::build_on(listener, settings, clock.clone()).await?;
        let connected = if args.connected {
            connect(&app, &sandbox, &clock).await?
        } else {
            Vec::new()
        };
        let secrets = Secrets {
            password: password.as_deref(),
            api_token: api_token.as_deref(),
        };
        print_banner(app.public_url(), &sandbox, &secrets, &connected);
        let result = app.run_until_stopped().await;
        sandbox.stop().await;
        result.context("igfeed stopped with an error")
    })
}

/// A fresh state directory per demo port: demo tokens never mix with real ones.
fn demo_storage(port: u16) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("igfeed-demo-{port}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot clear the demo state in {}", dir.display()))?;
    }
    Ok(dir)
}

fn point_at(
    settings: &mut Settings,
    sandbox: &RunningSandbox,
    config: &SandboxConfig,
    callback: url::Url,
) {
    point_at_sandbox(settings, sandbox, config);
    settings.instagram.redirect_uri = Some(callback);
    settings.instagram.retry_base_delay = Duration::from_millis(200);
}

/// Points Instagram's endpoints and app credentials at `sandbox`, whose origin is the CDN
/// too (images are downloaded from it). Shared with `examples/soak_server.rs`.
pub fn point_at_sandbox(settings: &mut Settings, sandbox: &RunningSandbox, config: &SandboxConfig) {
    let base = sandbox.base_url().clone();
    // The sandbox is the demo's CDN too: images are downloaded from its origin.
    if let Some(host) = base.host_str() {
        settings.media.allowed_hosts.push(host.to_owned());
    }
    let ig = &mut settings.instagram;
    ig.authorize_url = base
        .join("oauth/authorize")
        .unwrap_or_else(|_| base.clone());
    ig.api_base = base.clone();
    ig.graph_base = base;
    ig.app_id = Some(config.app_id.clone());
    ig.app_secret = Some(SecretString::from(config.app_secret.clone()));
}

/// Connects the sandbox's first two accounts the way an owner importing tokens would: the
/// first one's feed is the default, the second's is `?feed=<its username>`.
async fn connect(
    app: &Application,
    sandbox: &RunningSandbox,
    clock: &SharedClock,
) -> anyhow::Result<Vec<String>> {
    let state = app.state();
    let mut usernames = Vec::new();
    for account in sandbox.accounts().into_iter().take(2) {
        let token = sandbox
            .issue_token_for(&account.username, TokenKind::LongLived, Duration::ZERO)
            .context("the sandbox lost an account")?;
        import_token(
            &state.instagram,
            &state.accounts,
            clock,
            SecretString::from(token),
        )
        .await?;
        usernames.push(account.username);
    }
    Ok(usernames)
}

/// A throwaway secret of `length` characters in `slot` unless the operator configured one;
/// the generated value, to print once.
fn generate_unless_set(slot: &mut Option<SecretString>, length: usize) -> Option<String> {
    if slot.is_some() {
        return None;
    }
    let generated = generate_secret(length);
    *slot = Some(SecretString::from(generated.clone()));
    Some(generated)
}

/// A throwaway secret of `length` characters for this demo run (printed once).
fn generate_secret(length: usize) -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The secrets generated for this run (`None`: the operator configured one).
struct Secrets<'a> {
    password: Option<&'a str>,
    api_token: Option<&'a str>,
}

fn print_banner(
    public: &url::Url,
    sandbox: &RunningSandbox,
    secrets: &Secrets<'_>,
    connected: &[String],
) {
    let base = public.as_str().trim_end_matches('/');
    let sandbox_base = sandbox.base_url().as_str().trim_end_matches('/');
    let password = secrets
        .password
        .unwrap_or("(the admin.password you configured)");
    let api_token = secrets
        .api_token
        .unwrap_or("(the admin.api_token you configured)");
    let next = match connected {
        [] => "Log in, click Connect Instagram and choose an account on the sandbox's consent \
               page; \"Connect another account\" adds the second."
            .to_owned(),
        [first, others @ ..] => {
            let others: Vec<String> = others
                .iter()
                .map(|name| format!("{base}/feed.json?feed={name}"))
                .collect();
            format!(
                "Connected to the sandbox accounts @{first} (the default feed){}{}.",
                if others.is_empty() { "" } else { " and " },
                others.join(", ")
            )
        }
    };
    println!(
        "igfeed demo is running against a local stand-in for Instagram.\n\
         \x20 Admin:         {base}/admin   password: {password}\n\
         \x20 Feed (JSON):   {base}/feed.json\n\
         \x20 Admin API:     {base}/api/v1/feeds   Authorization: Bearer {api_token}\n\
         \x20 Curate feeds:  {base}/admin (Feeds: hide, pin, link, the look), or PUT {base}/api/v1/feeds/shop\n\
         \x20 Sandbox:       {sandbox_base}/  (make it misbehave: POST {sandbox_base}/_sandbox/mode)\n\
         {next}\n\
         Press Ctrl-C to stop."
    );
}

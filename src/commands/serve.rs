//! `igfeed serve`: the server, until SIGTERM/SIGINT ends it gracefully.

use crate::clock;
use crate::config::Settings;
use crate::startup::Application;

/// Runs igfeed with production time.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings, clock::system()).await?;
        app.run_until_stopped().await?;
        tracing::info!("igfeed stopped");
        Ok(())
    })
}

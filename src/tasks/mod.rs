//! Background work: the only code that calls Instagram on its own. Visitors never do.

pub mod feed_refresh;
pub mod token_import;
pub mod token_refresh;
mod token_schedule;

use tokio::task::JoinHandle;

/// Background tasks that end when the application does.
#[derive(Default)]
pub struct Tasks(Vec<JoinHandle<()>>);

impl Tasks {
    /// Starts `future` in the background.
    pub fn spawn(&mut self, future: impl Future<Output = ()> + Send + 'static) {
        self.0.push(tokio::spawn(future));
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

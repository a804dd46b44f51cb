//! Background work: the only code that calls Instagram on its own. Visitors never do.

pub mod accounts;
mod due;
pub mod feed_refresh;
pub mod feed_views;
pub mod replicas;
pub mod supervisor;
pub mod token_import;
pub mod token_refresh;

use tokio::task::JoinHandle;

use supervisor::{TaskHealth, TaskName, supervise};

/// Background tasks that end when the application does; each is supervised (restarted
/// after a panic, see [`supervisor`]).
pub struct Tasks {
    health: TaskHealth,
    handles: Vec<JoinHandle<()>>,
}

impl Tasks {
    /// No tasks yet; their panics are recorded in `health`.
    pub fn new(health: TaskHealth) -> Self {
        Self {
            health,
            handles: Vec::new(),
        }
    }

    /// Starts the future `start` makes in the background as `task`, and a new one whenever
    /// it panics. The first future is made now.
    pub fn spawn<F, Fut>(&mut self, task: TaskName, start: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let supervised = supervise(task, self.health.clone(), start);
        self.handles.push(tokio::spawn(supervised));
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.handles {
            task.abort();
        }
    }
}

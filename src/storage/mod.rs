//! The state directory (`storage.dir`): where igfeed keeps what must survive a restart.
//!
//! Every file is a versioned JSON envelope written atomically (temp file, fsync, rename,
//! fsync the directory) with mode 0600, optionally sealed with XChaCha20-Poly1305. A process
//! killed at any instant leaves the old or the new file, never a broken one; a file that is
//! broken anyway (disk trouble, a hand edit) is reported, never silently replaced.

mod dir;
mod envelope;
mod error;
mod files;
mod key;
mod lock;
mod settings;

pub use dir::StateDir;
pub use envelope::FORMAT;
pub use error::StorageError;
pub use key::EncryptionKey;
pub use lock::DirLock;
pub use settings::StorageSettings;

#[cfg(test)]
mod damage_tests;
#[cfg(test)]
mod tests;

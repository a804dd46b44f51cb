//! Connect Instagram (in progress).

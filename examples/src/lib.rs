//! Runnable examples for the workspace (see `examples/examples/`).

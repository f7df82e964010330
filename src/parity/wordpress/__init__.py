"""Facts about WordPress itself that several capabilities share (pure data, no I/O)."""

"""Reference solutions (instructor only)."""

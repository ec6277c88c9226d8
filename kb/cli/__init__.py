"""The `kb` command: a thin layer of click commands over kb's library."""

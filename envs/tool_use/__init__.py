"""Tool-use environments with verifiable rewards over an embedded SQLite database."""

"""The ground floor every domain stands on: the exception base and its exit codes, the state-directory
rules, durable journal files, and the CLI helpers."""

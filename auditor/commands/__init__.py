"""One module per CLI command: `register(subparsers)` adds its parser, `run(args) -> int` does the work."""

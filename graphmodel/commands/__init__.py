"""CLI command modules. Each public module exposes ``register(app: typer.Typer)``."""

"""CLI command modules, one per topic; each exposes ``register(app: typer.Typer)``.

:mod:`graphmodel.cli` imports and registers every one of them.
"""

"""CLI command modules, one per topic; each exposes ``register(app: typer.Typer)``.

:mod:`graphmodel.cli` imports and registers every one of them. Command modules import the
analytics they run (and rich's progress bars) inside the command functions, so that
``tiern --help`` and each command load only what they use: this is for start-up speed, not
to break an import cycle (there is none).
"""

"""The command-line door: thin typer commands over the services."""

"""Test-only: the operator's option to delete a user's namespace with the user."""

# ruff: noqa: F821 - ``c`` is given by JupyterHub
c.KarvdashSpawner.delete_namespace_on_user_delete = True

"""HTTP edge: Starlette app, thin routes."""

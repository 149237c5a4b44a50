"""Celery tasks of crisis modes, priority and markets: thin callers of the services."""

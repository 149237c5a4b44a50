"""The platform panel: the platform's own processes, with their state and last sign of life."""

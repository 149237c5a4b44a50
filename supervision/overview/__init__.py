"""The supervisor's overview: the whole picture of the city on one page."""

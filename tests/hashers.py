"""A password hasher for the test process only."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few rounds. The rounds are written into each hash, so a server process of a
    test (daphne, on the production hasher) still checks these passwords."""

    iterations = 1_000

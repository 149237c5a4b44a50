"""The open standards the city publishes (CAP, Open311, NGSI-LD): who may read each one, and
how often (ondijon/standards.py)."""

from .env import env_str

# Per standard: "public" (anyone), "api_key" (a key issued in the admin: a user's API token),
# or "off" (the endpoints answer 404). Public alerts are for everyone; the city's data and the
# citizens' requests only for the partners given a key, until the city opens them.
STANDARDS_ACCESS = {
    "cap": env_str("STANDARD_CAP_ACCESS", "public"),
    "open311": env_str("STANDARD_OPEN311_ACCESS", "api_key"),
    "ngsi_ld": env_str("STANDARD_NGSI_LD_ACCESS", "api_key"),
}
# Calls per key (or per address without one), DRF's "N/period" form, counted in the shared cache.
STANDARDS_THROTTLE_RATES = {
    "cap": env_str("STANDARD_CAP_RATE", "600/minute"),
    "open311": env_str("STANDARD_OPEN311_RATE", "600/minute"),
    "ngsi_ld": env_str("STANDARD_NGSI_LD_RATE", "1200/minute"),
}

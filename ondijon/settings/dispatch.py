"""Interventions and dispatch: target times, ranking the nearest teams."""

from .env import env_float, env_int, env_str

# Target time from report to on-site, per priority (P1..P4), in minutes.
INTERVENTION_TARGET_MINUTES = {1: 15, 2: 30, 3: 120, 4: 480}

# Travel-time estimate used to rank teams: any class with `seconds(team_lat, team_lon, lat,
# lon, service) -> float` (and optionally `estimates(origins, lat, lon, service)`, timing every
# candidate at once). The default: over the imported road graph, falling back to crow-flies
# distance x road-detour factor / mean speed (DISPATCH_FALLBACK_ESTIMATOR) without one.
DISPATCH_ETA_ESTIMATOR = env_str("DISPATCH_ETA_ESTIMATOR", "interventions.routing.RoadEstimator")
DISPATCH_ROAD_DETOUR_FACTOR = env_float("DISPATCH_ROAD_DETOUR_FACTOR", 1.35)
DISPATCH_MEAN_SPEED_KMH = {
    "police": 40.0,
    "lighting": 30.0,
    "roads": 30.0,
    "water": 30.0,
    "cleaning": 20.0,
    "green_spaces": 25.0,
    "buildings": 30.0,
}
DISPATCH_DEFAULT_SPEED_KMH = 30.0
# A team whose last position is older than this is listed apart, marked stale.
DISPATCH_STALE_POSITION_SECONDS = env_int("DISPATCH_STALE_POSITION_SECONDS", 300)
# The estimator ranks the nearest teams as the crow flies (so a slow road-routing estimator
# only ever sees a few dozen teams, however large the fleet).
DISPATCH_PREFILTER = 40
# Ranking first looks within this half-side (metres) of the incident, then the whole fleet.
DISPATCH_SEARCH_BOX_M = env_float("DISPATCH_SEARCH_BOX_M", 5000)
DISPATCH_CANDIDATES = 5

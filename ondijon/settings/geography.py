"""The city's geography: speeds on the road graph, the base map."""

from .env import env_str

# Free-flow speed per OpenStreetMap road class (km/h), for travel times on the road graph.
ROAD_SPEEDS_KMH = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 45.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
    "road": 25.0,
}
ROAD_DEFAULT_SPEED_KMH = 25.0
# Per service, a factor on those speeds (an emergency vehicle with its lights on goes faster,
# a sweeper slower) and road classes it does not take (speed 0).
ROAD_SERVICE_FACTOR = {
    "police": 1.3,
    "lighting": 0.9,
    "roads": 0.9,
    "water": 0.9,
    "cleaning": 0.6,
    "green_spaces": 0.8,
    "buildings": 0.9,
}
ROAD_SERVICE_SPEEDS_KMH = {
    "cleaning": {"motorway": 0.0, "trunk": 0.0},
    "green_spaces": {"motorway": 0.0},
}
# A point farther than this from the road graph is not routed (the crow-flies estimate is).
ROAD_SNAP_MAX_M = 1500.0
# From a point to its nearest junction, at walking-to-driving pace.
ROAD_ACCESS_SPEED_KMH = 15.0
# Dispatch ranks by road once a graph is imported; this estimator is the fallback.
DISPATCH_FALLBACK_ESTIMATOR = env_str(
    "DISPATCH_FALLBACK_ESTIMATOR", "interventions.dispatch.DetourEstimator"
)

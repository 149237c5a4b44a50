"""NGSI-LD (ETSI GS CIM 009) for the city's data, at /ngsi-ld/v1/: the equipment and alerts as
FIWARE Smart Data Models entities (entities.py), queried (query.py), and subscriptions whose
notifications a background job sends on change, at least once (subscriptions.py)."""

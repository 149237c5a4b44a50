"""A FIWARE partner's script on ngsildclient (run by tests/supervision/test_ngsi_ld_client.py
in its own venv, not the project's): connects to ondijon's NGSI-LD API, lists the
streetlights near a point, and subscribes to streetlight failures. Prints what it saw as
JSON on its last line."""

import json
import sys

from ngsildclient import Client, Entity, SubscriptionBuilder

host, port, notify_url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lon, lat = 5.041, 47.322

with Client(hostname=host, port=port, verbose=False) as client:  # checks the connection
    types = client.types.list()
    every = client.query(type="Streetlight")  # counts first, then pages (100 a page)
    ok = client.count(type="Streetlight", q='status=="ok"')
    # The standard's geo-query parameters, on the client's own session; its Entity reads them.
    response = client.session.get(
        f"{client.url}/ngsi-ld/v1/entities",
        params={
            "type": "Streetlight",
            "georel": "near;maxDistance==150",
            "geometry": "Point",
            "coordinates": json.dumps([lon, lat]),
        },
        headers={"Accept": "application/ld+json", "Content-Type": None},
    )
    response.raise_for_status()
    near = [Entity.from_dict(payload) for payload in response.json()]
    one = client.get(near[0].id)
    subscription = (
        SubscriptionBuilder(notify_url)
        .description("Streetlight failures for the metropolis")
        .select_type("Streetlight")
        .watch(["status"])
        .query('status=="defectiveLamp"')
        .build()
    )
    subscription_id = client.subscriptions.create(subscription)
    listed = [s["id"] for s in client.subscriptions.list()]

print(
    json.dumps(
        {
            "types": types,
            "streetlights": len(every),
            "ok": ok,
            "near": sorted(entity.id for entity in near),
            "one": {"id": one.id, "type": one.type, "location": one.to_dict()["location"]["value"]},
            "subscription": subscription_id,
            "listed": listed,
        }
    )
)

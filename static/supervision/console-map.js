/* The device console's maps: the equipment as points coloured by status, one layer per kind
   (read from the equipment API's GeoJSON: /api/equipment/geojson/), a device's code as its
   tooltip (text, never HTML), and a click on a device handed to the page. The console's home
   opens the device's page; the selection page shows the kind it commands.

   `follow` keeps a map's statuses live: the console map's stream (/ws/console/map/,
   static/ondijon/stream.js) carries each device that changed as the wall keeps it,
   [code, kind, status, district, latitude, longitude] by id, or null when it is gone. */
(function () {
  "use strict";
  // Status colours, as the legend under each console map says them (console.css).
  const STATUS_COLOURS = {
    ok: "#2ecc71",
    degraded: "#f1c40f",
    fault: "#e74c3c",
    offline: "#7f8c8d",
    maintenance: "#3498db",
  };

  const colourOf = (status) => STATUS_COLOURS[status] || "#ffffff";

  function marker(feature, latlng) {
    return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#111", fillColor: colourOf(feature.properties.status), fillOpacity: 0.9 });
  }

  /** One device (a GeoJSON point feature) drawn in its kind's layer. */
  function addDevice(map, layers, opts, feature) {
    const kind = feature.properties.kind;
    if (!layers[kind]) {
      layers[kind] = L.featureGroup().addTo(map);
      if (opts.onNewLayer) opts.onNewLayer(kind, layers[kind]);
    }
    const [lon, lat] = feature.geometry.coordinates;
    const point = marker(feature, L.latLng(lat, lon));
    point.feature = feature;
    point.bindTooltip(OndijonMap.text(feature.properties.code));
    if (opts.onDevice) point.on("click", () => opts.onDevice(point.feature.properties));
    layers[kind].addLayer(point);
    if (opts.index) opts.index[String(feature.id)] = point;
    return point;
  }

  /** The devices of `url` (GeoJSON points) on `map`, one layer per kind in `layers` (created
      on first sight); `onDevice(properties)` on a click; `index` (optional) keeps each
      marker by the device's id. Resolves to the layers by kind. */
  function loadDevices(map, url, options) {
    const opts = options || {};
    const layers = opts.layers || {};
    return fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { features: [] }))
      .then((geojson) => {
        Object.values(layers).forEach((layer) => layer.clearLayers());
        if (opts.index) Object.keys(opts.index).forEach((id) => delete opts.index[id]);
        geojson.features.forEach((feature) => addDevice(map, layers, opts, feature));
        return layers;
      });
  }

  /** A frame's devices applied to the markers: a new status recolours its marker, a device
      moved is moved, a new one (of a kind `accepts`) appears, a deleted one goes. */
  function applyDevices(map, layers, opts, changed) {
    Object.entries(changed || {}).forEach(([id, row]) => {
      const point = opts.index[id];
      if (!row) {
        if (point) {
          Object.values(layers).forEach((layer) => layer.removeLayer(point));
          delete opts.index[id];
        }
        return;
      }
      const [code, kind, status, , lat, lon] = row;
      if (point && point.feature.properties.kind === kind) {
        point.feature.properties.status = status;
        point.setStyle({ fillColor: colourOf(status) });
        const at = point.getLatLng();
        if (at.lat !== lat || at.lng !== lon) point.setLatLng([lat, lon]);
        return;
      }
      if (point) {
        Object.values(layers).forEach((layer) => layer.removeLayer(point));
        delete opts.index[id];
      }
      if (opts.accepts && !opts.accepts(kind)) return;
      addDevice(map, layers, opts, {
        type: "Feature",
        id: Number(id),
        geometry: { type: "Point", coordinates: [lon, lat] },
        properties: { code, kind, status },
      });
    });
  }

  /** Load the devices of `url` and keep their statuses live. `seq` is the events log's
      number read before the devices (the page's); `seqUrl` gives a new one when the stream
      is too far behind and the devices are read again; `indicator` the live indicator.
      Returns {ready: Promise, index, drop()}. */
  function follow(map, url, options) {
    const opts = { ...options, index: options.index || {} };
    const layers = opts.layers;
    const state = { seq: Number(opts.seq) };
    const ready = loadDevices(map, url, opts);
    const stream = OndijonStream.open({
      path: "/ws/console/map/",
      seq: () => state.seq,
      applyFrame(frame) {
        state.seq = frame.seq;
        applyDevices(map, layers, opts, frame.objects && frame.objects.equipment);
        if (opts.onChange) opts.onChange();
      },
      async loadSnapshot() {
        const response = await fetch(opts.seqUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(response.statusText);
        const seq = (await response.json()).seq;
        await loadDevices(map, url, opts);
        state.seq = seq;
        if (opts.onChange) opts.onChange();
      },
      onState: (value) => OndijonStream.showConnection(opts.indicator, value),
    });
    // The first frame replays what changed since `seq` on top of the devices read.
    ready.then(() => stream.connect());
    return { ready, index: opts.index, state, drop: () => stream.drop() };
  }

  window.OndijonConsoleMap = { loadDevices, follow, STATUS_COLOURS };
})();

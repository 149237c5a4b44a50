/* The device console's maps: the equipment as points coloured by status, one layer per kind
   (read from the equipment API's GeoJSON: /api/equipment/geojson/), a device's code as its
   tooltip (text, never HTML), and a click on a device handed to the page. The console's home
   opens the device's page; the selection page shows the kind it commands. */
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

  function marker(feature, latlng) {
    const colour = STATUS_COLOURS[feature.properties.status] || "#ffffff";
    return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#111", fillColor: colour, fillOpacity: 0.9 });
  }

  /** The devices of `url` (GeoJSON points) on `map`, one layer per kind in `layers` (created
      on first sight); `onDevice(properties)` on a click. Resolves to the layers by kind. */
  function loadDevices(map, url, options) {
    const opts = options || {};
    const layers = opts.layers || {};
    return fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { features: [] }))
      .then((geojson) => {
        Object.values(layers).forEach((layer) => layer.clearLayers());
        geojson.features.forEach((feature) => {
          const kind = feature.properties.kind;
          if (!layers[kind]) {
            layers[kind] = L.featureGroup().addTo(map);
            if (opts.onNewLayer) opts.onNewLayer(kind, layers[kind]);
          }
          const [lon, lat] = feature.geometry.coordinates;
          const point = marker(feature, L.latLng(lat, lon));
          point.feature = feature;
          point.bindTooltip(OndijonMap.text(feature.properties.code));
          if (opts.onDevice) point.on("click", () => opts.onDevice(feature.properties));
          layers[kind].addLayer(point);
        });
        return layers;
      });
  }

  window.OndijonConsoleMap = { loadDevices, STATUS_COLOURS };
})();

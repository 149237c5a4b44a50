/* Shared map set-up: tiles from the configured URL, or the districts served by the app when
   offline (no tile URL), so a room without internet still sees its city. */
(function () {
  "use strict";
  const CENTER = [47.322, 5.041];

  function create(element, options) {
    const map = L.map(element, Object.assign({ preferCanvas: true }, options || {}))
      .setView(CENTER, 12);
    const tileUrl = element.dataset.tileUrl;
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: element.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("ondijon-offline");
    }
    if (element.dataset.districtsUrl) {
      fetch(element.dataset.districtsUrl, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((geojson) => {
          if (!geojson) return;
          L.geoJSON(geojson, {
            style: { color: "#7fa7d9", weight: 1, fillColor: "#2c3e55", fillOpacity: tileUrl ? 0.05 : 0.6 },
            onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.name),
          }).addTo(map).bringToBack();
        });
    }
    // Admin and wall layouts settle after scripts run; measure the container again then.
    window.addEventListener("load", () => map.invalidateSize());
    return map;
  }

  window.OndijonMap = { create, CENTER };
})();

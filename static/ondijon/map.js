/* Shared map set-up: tiles from the configured URL, or the districts served by the app when
   offline (no tile URL), so a room without internet still sees its city. */
(function () {
  "use strict";
  const CENTER = [47.322, 5.041];

  /** A tooltip's content as text: Leaflet inserts a string as HTML, so a name with markup in
      it (a team renamed `<img onerror=…>`) would run in the viewer's session. */
  function text(content) {
    const span = document.createElement("span");
    span.textContent = content == null ? "" : String(content);
    return span;
  }

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
            onEachFeature: (feature, layer) => layer.bindTooltip(text(feature.properties.name)),
          }).addTo(map).bringToBack();
        });
    }
    // Admin and wall layouts settle after scripts run; measure the container again then.
    window.addEventListener("load", () => map.invalidateSize());
    return map;
  }

  window.OndijonMap = { create, text, CENTER };
})();

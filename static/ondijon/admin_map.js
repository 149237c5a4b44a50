/* Admin map: in a change list, the listed objects; in a form, a marker bound to the
   latitude/longitude fields (click to place, drag to move). */
(function () {
  "use strict";
  const element = document.getElementById("admin-map");
  if (!element || !window.L) return;
  const map = OndijonMap.create(element);

  if (element.dataset.mode === "list") {
    const points = JSON.parse(document.getElementById("admin-map-points").textContent);
    const bounds = [];
    for (const point of points) {
      L.circleMarker([point.lat, point.lon], { radius: 4, color: "#ffb000", weight: 1, fillOpacity: 0.9 })
        .bindTooltip(OndijonMap.text(point.label))
        .on("click", () => { window.location.href = `${point.id}/change/`; })
        .addTo(map);
      bounds.push([point.lat, point.lon]);
    }
    if (bounds.length === 1) map.setView(bounds[0], 16, { animate: false });
    else if (bounds.length) map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20], animate: false });
    return;
  }

  const latInput = document.getElementById("id_latitude");
  const lonInput = document.getElementById("id_longitude");
  if (!latInput || !lonInput) return;
  let marker = null;
  function place(latlng, pan) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true }).addTo(map);
      marker.on("dragend", () => write(marker.getLatLng()));
    } else {
      marker.setLatLng(latlng);
    }
    if (pan) map.setView(latlng, 16, { animate: false });
  }
  function write(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
  }
  if (latInput.value && lonInput.value) {
    place([parseFloat(latInput.value), parseFloat(lonInput.value)], true);
  }
  map.on("click", (event) => { place(event.latlng, false); write(event.latlng); });
})();

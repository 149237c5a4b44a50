/* The call desk's map, beside the intervention's address: the chosen address shows its pin
   there, and a click on the map places the intervention at that point and names it by the
   nearest address (reverse geocoding), as the dispatch desk does. The map is made the first
   time its panel is shown (Leaflet cannot measure a hidden box). */
(function () {
  "use strict";
  const element = document.getElementById("intervention-map");
  const form = document.getElementById("call-form");
  if (!element || !form || !window.OndijonMap) return;
  const input = document.getElementById("intervention-address");
  const place = document.getElementById("intervention-place");
  const latitudeField = form.elements.namedItem("intervention_latitude");
  const longitudeField = form.elements.namedItem("intervention_longitude");
  const STREET_ZOOM = 17;
  let map = null;
  let pin = null;
  let wanted = null; // [latitude, longitude] of the pin, kept until the map exists

  function showPin() {
    if (!map) return;
    if (pin) { pin.remove(); pin = null; }
    element.dataset.pin = wanted ? `${wanted[0].toFixed(6)},${wanted[1].toFixed(6)}` : "";
    if (!wanted) return;
    // A marker of the page (not drawn in the canvas), so that a click passes through it to
    // the map beneath.
    const icon = L.divIcon({ className: "call-pin", iconSize: [16, 16], iconAnchor: [8, 8] });
    pin = L.marker(wanted, { icon, interactive: false, keyboard: false }).addTo(map);
  }

  function placePin(latitude, longitude, centre) {
    wanted = [latitude, longitude];
    showPin();
    if (map && centre) map.setView(wanted, Math.max(map.getZoom(), STREET_ZOOM));
  }

  function make() {
    map = OndijonMap.create(element);
    map.on("click", async (event) => {
      const { lat, lng } = event.latlng;
      latitudeField.value = lat.toFixed(6);
      longitudeField.value = lng.toFixed(6);
      placePin(lat, lng, false);
      const label = await OndijonAddress.reverse(lat, lng);
      if (latitudeField.value !== lat.toFixed(6)) return; // another click or address since
      if (label) input.value = label;
      place.textContent = label
        ? interpolate(gettext("Placed at %(label)s (%(latitude)s, %(longitude)s)."), {
            label, latitude: lat.toFixed(5), longitude: lng.toFixed(5),
          }, true)
        : interpolate(gettext("Placed at %(latitude)s, %(longitude)s: no address nearby."), {
            latitude: lat.toFixed(5), longitude: lng.toFixed(5),
          }, true);
    });
    if (wanted) placePin(wanted[0], wanted[1], true);
  }

  new ResizeObserver(() => {
    if (!element.offsetWidth || !element.offsetHeight) return;
    if (!map) make();
    else map.invalidateSize();
  }).observe(element);

  form.addEventListener("address:chosen", (event) => {
    placePin(event.detail.latitude, event.detail.longitude, true);
  });
  // Typed by hand, the address no longer has its point (the address box clears it too).
  input.addEventListener("input", () => { wanted = null; showPin(); });
  form.addEventListener("reset", () => {
    wanted = null;
    showPin();
    if (map) map.setView(OndijonMap.CENTER, 12);
  });
})();

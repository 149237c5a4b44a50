/* The public page's map: the city's streets (served by ondijon itself, no internet) and the
   regulated markets, green when open, red when full; the markets follow each update of the
   page (status.js puts a new main part in place, with the markets' data in it). */
(function () {
  "use strict";
  const element = document.getElementById("status-map");
  const main = document.getElementById("status-main");
  if (!element || !main || !window.L || !window.OndijonMap) return;
  const map = OndijonMap.create(element);
  const markets = L.layerGroup().addTo(map);

  function draw() {
    const data = document.getElementById("status-markets");
    const points = data ? JSON.parse(data.textContent) : [];
    markets.clearLayers();
    const bounds = [];
    for (const market of points) {
      if (market.lat == null || market.lon == null) continue;
      const colour = market.full ? "#a30000" : "#0a6b2d";
      L.circleMarker([market.lat, market.lon], { radius: 8, color: colour, weight: 2, fillColor: colour, fillOpacity: 0.7 })
        .bindTooltip(OndijonMap.text(market.name))
        .addTo(markets);
      bounds.push([market.lat, market.lon]);
    }
    return bounds;
  }

  const bounds = draw();
  if (bounds.length === 1) map.setView(bounds[0], 15, { animate: false });
  else if (bounds.length) map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20], animate: false });
  new MutationObserver(draw).observe(main, { childList: true });
})();

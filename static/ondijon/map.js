/* Shared map set-up: tiles from the configured URL, or the imported streets served by the app when
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

  // The base map of the imported streets, served by the app (/map/streets/z/x/y.json: each
  // tile's streets in its own pixels); dark on the wall, light elsewhere.
  const STREET_TILES = "/map/streets/{z}/{x}/{y}.json";
  const STYLES = {
    light: { background: "#f2efe9", casing: "#c9c2b8", major: "#f7d68a", minor: "#ffffff", text: "#333333", halo: "#ffffff" },
    dark: { background: "#141b24", casing: "#0b1016", major: "#8a6d3b", minor: "#3a4a5e", text: "#d6dde6", halo: "#141b24" },
  };
  const MAJOR = new Set(["motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link"]);

  function widthOf(roadClass, zoom) {
    const base = MAJOR.has(roadClass) ? 3 : roadClass === "service" ? 1 : 2;
    return Math.max(1, base * Math.pow(1.45, zoom - 14));
  }

  function drawTile(canvas, streets, zoom, style) {
    const context = canvas.getContext("2d");
    const colours = STYLES[style];
    for (const pass of ["casing", "fill"]) {
      for (const [roadClass, , line] of streets) {
        context.beginPath();
        line.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
        const width = widthOf(roadClass, zoom);
        context.lineWidth = pass === "casing" ? width + 1.5 : width;
        context.strokeStyle = pass === "casing" ? colours.casing : (MAJOR.has(roadClass) ? colours.major : colours.minor);
        context.lineCap = "round";
        context.lineJoin = "round";
        context.stroke();
      }
    }
    // Names at street zoom, once per tile, along the street's longest segment.
    context.font = "11px system-ui, sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    const named = new Set();
    for (const [, name, line] of streets) {
      if (!name || named.has(name)) continue;
      let best = null;
      for (let i = 1; i < line.length; i++) {
        const [x0, y0] = line[i - 1];
        const [x1, y1] = line[i];
        const length = Math.hypot(x1 - x0, y1 - y0);
        const mx = (x0 + x1) / 2;
        const my = (y0 + y1) / 2;
        if (mx < 0 || mx > 256 || my < 0 || my > 256) continue;
        if (!best || length > best.length) best = { length, mx, my, angle: Math.atan2(y1 - y0, x1 - x0) };
      }
      if (!best || best.length < context.measureText(name).width * 0.8) continue;
      named.add(name);
      let angle = best.angle;
      if (angle > Math.PI / 2 || angle < -Math.PI / 2) angle += Math.PI;
      context.save();
      context.translate(best.mx, best.my);
      context.rotate(angle);
      context.lineWidth = 3;
      context.strokeStyle = colours.halo;
      context.strokeText(name, 0, 0);
      context.fillStyle = colours.text;
      context.fillText(name, 0, 0);
      context.restore();
    }
  }

  function streetLayer(style) {
    const Layer = L.GridLayer.extend({
      createTile(coords, done) {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 256;
        const url = L.Util.template(STREET_TILES, coords);
        fetch(url, { credentials: "same-origin" })
          .then((response) => (response.ok ? response.json() : { streets: [] }))
          .then((tile) => { drawTile(canvas, tile.streets, coords.z, style); done(null, canvas); })
          .catch((error) => done(error, canvas));
        return canvas;
      },
    });
    return new Layer({ maxZoom: 19, className: `ondijon-streets ondijon-streets-${style}` });
  }

  function create(element, options) {
    const wanted = Object.assign({ preferCanvas: true }, options || {});
    const map = L.map(element, Object.assign({}, wanted, { zoomControl: false })).setView(CENTER, 12);
    // Leaflet's own buttons are titled in English: the room's language instead.
    if (wanted.zoomControl !== false) {
      const say = typeof window.gettext === "function" ? window.gettext : (text) => text;
      L.control.zoom({ zoomInTitle: say("Zoom in"), zoomOutTitle: say("Zoom out") }).addTo(map);
    }
    const tileUrl = element.dataset.tileUrl;
    const style = element.dataset.mapStyle === "dark" ? "dark" : "light";
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: element.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    } else {
      // No tile server: the streets the city imported, drawn here (no internet needed).
      element.classList.add("ondijon-offline", `ondijon-basemap-${style}`);
      streetLayer(style).addTo(map);
    }
    if (element.dataset.districtsUrl) {
      fetch(element.dataset.districtsUrl, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((geojson) => {
          if (!geojson) return;
          L.geoJSON(geojson, {
            style: { color: "#7fa7d9", weight: 1, fillColor: "#2c3e55", fillOpacity: 0.05 },
            onEachFeature: (feature, layer) => layer.bindTooltip(text(feature.properties.name)),
          }).addTo(map).bringToBack();
        });
    }
    // Admin and wall layouts settle after scripts run; measure the container again then.
    window.addEventListener("load", () => map.invalidateSize());
    return map;
  }

  window.OndijonMap = { create, text, CENTER, streetLayer };
})();

/* Wall screen: a snapshot, then coalesced frames over a WebSocket, never a missed number.

   What a frame does to the state, and what each panel shows of it, is decided by the pure
   module wall-state.js (twin of supervision/wall/state.py); this module draws. A frame applies only
   if it follows the last number applied, else the screen reconnects with that number and the
   server replays what followed (stream.js). `document.body.dataset.lastSeq` is the last number
   applied. Rendering happens at most once per animation frame. Loaded as an ES module: the
   page has no inline script, its configuration is JSON (`wall-config`). */
import {
  EQ, alertMarkers, alertQueue, alertSummary, failoverShown, floodGroups, topLevelAlerts, applyFrame as applyToState, clockOf, commandCounts, commandRows, countChange,
  countersOf, districtShares, equipmentIds, figures, interventionBoard, interventionTiming, kindShares, localDay,
  marketLevel, marketList, panelLayout, percentOf, shortReference, stateOf, timeOf,
} from "./wall-state.js";

const config = JSON.parse(document.getElementById("wall-config").textContent);
// Dates and times as the settings say (LANGUAGE_CODE, TIME_ZONE), never the kiosk's own.
const { locale, timeZone } = config;
const today = () => localDay(new Date(), timeZone);

// Text readable from the farthest seat: the root font size is at least what makes the wall's
// smallest text subtend 20 arcminutes there (supervision/wall/legibility.py); everything on
// the wall is sized in rem from it. The page fills its screen: pixels per metre is its width
// in pixels over the wall's width.
function sizeTextForTheRoom() {
  const type = config.typography;
  if (!type || !type.widthM || !type.rootFontM) return;
  const root = document.documentElement;
  root.style.removeProperty("font-size");
  const fluid = parseFloat(getComputedStyle(root).fontSize);
  const needed = type.rootFontM * (window.innerWidth / type.widthM);
  if (needed > fluid) root.style.setProperty("font-size", `${needed.toFixed(1)}px`);
  root.dataset.rootFontPx = String(Math.max(needed, fluid).toFixed(1));
}
sizeTextForTheRoom();
window.addEventListener("resize", sizeTextForTheRoom);
// What the wall says on its own (one place, to translate).
const TEXT = {
  layers: gettext("Layers"), kinds: gettext("Equipment kinds"), status: gettext("Status"),
  failover: gettext("Database failover at %(time)s: %(primary)s took over from %(previous)s"),
  switchover: gettext("Planned database switchover at %(time)s: %(primary)s took over from %(previous)s"),
  tookSeconds: gettext("in %(seconds)s s"),
  noPrevious: gettext("the lost node"),
  noMarket: gettext("No regulated market"), noCommand: gettext("No command in flight"),
};
// Status names of teams, alerts and interventions, as the server names its choices.
const STATUS_NAMES = {
  available: gettext("Available"), busy: gettext("Busy"), off_duty: gettext("Off duty"),
  raised: gettext("Raised"), acknowledged: gettext("Acknowledged"), qualified: gettext("Qualified"),
  reported: gettext("Reported"), dispatched: gettext("Dispatched"), en_route: gettext("En route"), on_site: gettext("On site"),
};
const STATUS_COLOURS = {
  ok: "#2ecc71", degraded: "#f1c40f", fault: "#ff3b30", offline: "#8e9aa6", maintenance: "#4aa3ff",
};
// Drawn in this order, so faults end up on top.
const STATUS_ORDER = ["ok", "maintenance", "offline", "degraded", "fault"];
const STATUS_INDEX = new Map(STATUS_ORDER.map((status, i) => [status, i]));
// Canvas pixels as little-endian RGBA words, in STATUS_ORDER.
const PIXEL_COLOURS = STATUS_ORDER.map((status) => {
  const hex = parseInt(STATUS_COLOURS[status].slice(1), 16);
  return (0xff << 24 | (hex & 0xff) << 16 | (hex & 0xff00) | hex >> 16) >>> 0;
});
// Markers grow with the screen as the type does (wall.css): a 3840-pixel-wide wall read
// from the same distance needs them twice as large as a 1920-pixel one.
const screenScale = () => Math.max(1, window.innerWidth / 1920);

// Drawn as markers, one layer each (equipment is a canvas, commands a panel).
const MARKER_TYPES = ["team", "intervention", "alert", "market", "priority"];
let state = stateOf({ seq: 0, calls: { day: "", count: 0 },
  commands: { day: "", acknowledged: 0, failed: 0, failures: [] }, mode: {}, failover: null });
// Health per kind and district, commands in flight: kept as rows come and go, no rescan of
// 34,000 devices per render.
let counters = countersOf(state);
const dirty = new Set();
// District outlines and names, kept by id like every object a frame may change.
const districts = () => Object.values(state.district);
let map = null;
let equipmentLayer = null;
const markerLayers = {};
const visibleKinds = new Set(Object.keys(config.kinds));
let lastContact = Date.now();
let renderQueued = false;
// The ids of the last snapshot's equipment, in its order (wall-state.js equipmentIds).
let equipmentKeys = [];

// --- Applying frames ----------------------------------------------------------------
function observe(type, key, before, after) {
  countChange(counters, type, before, after);
  if (type === "equipment" && equipmentLayer) equipmentLayer.upsert(key, after);
}

function applyFrame(frame) {
  for (const part of applyToState(state, frame, observe)) dirty.add(part);
  document.body.dataset.lastSeq = String(state.seq);
  scheduleRender();
  // For monitoring and benchmarks: what was applied, and when.
  document.dispatchEvent(new CustomEvent("wall:frame", { detail: frame }));
}

function loadSnapshot(snapshot) {
  state = stateOf(snapshot);
  equipmentKeys = equipmentIds(snapshot);
  counters = countersOf(state);
  if (equipmentLayer) equipmentLayer.reset(state.equipment, equipmentKeys);
  for (const type of ["equipment", ...MARKER_TYPES, "command", "commands", "calls", "mode", "flood", "failover", "district"]) dirty.add(type);
  document.body.dataset.lastSeq = String(state.seq);
  scheduleRender();
}

// The first snapshot was preloaded with the page (wall.html): the same request takes it.
let preloaded = true;
async function fetchSnapshot() {
  const options = { credentials: "same-origin", cache: preloaded ? "default" : "no-store" };
  preloaded = false;
  const response = await fetch(config.snapshotUrl, options);
  if (!response.ok) throw new Error("snapshot " + response.status);
  const snapshot = await response.json();
  performance.mark("wall:snapshot-parsed");
  loadSnapshot(snapshot);
}

// --- Connection: reconnect with backoff, replay from the last number (stream.js) -------
const stream = OndijonStream.open({
  path: config.socketPath,
  seq: () => state.seq,
  applyFrame,
  loadSnapshot: fetchSnapshot,
  onState: setConnection,
  onMessage: () => { lastContact = Date.now(); },
});

// "live" only while heartbeats arrive (stream.js): never green beside "data stale since…".
function setConnection(value) {
  OndijonStream.showConnection(document.getElementById("wall-connection"), value);
}

// --- Equipment on a canvas: 34,000 points redrawn in a few milliseconds ---------------
// Leaflet's EPSG3857.latLngToPoint(latLng, 0), without an object per point (150,000 devices
// in a metropolis): spherical Mercator, then 256 pixels for the world at zoom 0.
const EARTH_RADIUS = 6378137, MAX_LATITUDE = 85.0511287798, RADIANS = Math.PI / 180;
const MERCATOR_SCALE = 0.5 / (Math.PI * EARTH_RADIUS);
const worldX = (lon) => 256 * (MERCATOR_SCALE * (EARTH_RADIUS * lon * RADIANS) + 0.5);
function worldY(lat) {
  const sin = Math.sin(Math.max(Math.min(MAX_LATITUDE, lat), -MAX_LATITUDE) * RADIANS);
  return 256 * (-MERCATOR_SCALE * (EARTH_RADIUS * Math.log((1 + sin) / (1 - sin)) / 2) + 0.5);
}
// Cells of the grid drawChanged finds a changed device's neighbours in (canvas pixels), and how
// many changed devices between two paints are still cheaper drawn square by square.
const GRID_CELL = 32;
const CHANGED_DRAW_LIMIT = 1500;
const EquipmentLayer = L.Layer.extend({
  onAdd(leafletMap) {
    this._map = leafletMap;
    this._canvas = L.DomUtil.create("canvas", "wall-equipment-canvas");
    this._canvas.style.pointerEvents = "none";
    // Own pane above the district polygons (overlay pane, 400) and below markers (600).
    const pane = leafletMap.getPane("wall-equipment") || leafletMap.createPane("wall-equipment");
    pane.style.zIndex = 450;
    pane.style.pointerEvents = "none";
    pane.appendChild(this._canvas);
    leafletMap.on("moveend resize zoomend viewreset", this._reposition, this);
    leafletMap.on("zoomstart", this._hide, this);
    this._reposition();
  },
  onRemove(leafletMap) {
    leafletMap.off("moveend resize zoomend viewreset", this._reposition, this);
    leafletMap.off("zoomstart", this._hide, this);
    this._canvas.remove();
  },
  /** Every device anew; `keys` (numbers or strings) in any order, Object.keys by default. */
  reset(objects, keys = Object.keys(objects)) {
    // By key, a plain object: ids are integers, which the engine keeps as array indexes.
    this._index = {};
    this._capacity = Math.max(1024, keys.length * 1.25 | 0);
    this._x = new Float64Array(this._capacity);
    this._y = new Float64Array(this._capacity);
    this._status = new Uint8Array(this._capacity);
    this._kind = new Uint8Array(this._capacity);
    this._kinds = Object.keys(config.kinds);
    this._kindIndex = new Map(this._kinds.map((kind, i) => [kind, i]));
    this._size = 0;
    this._changed = new Set();
    this._grid = null;
    for (const key of keys) this.upsert(key, objects[key], true);
    this.redraw();
  },
  upsert(key, row, quiet) {
    let i = this._index[key];
    if (row === null) {
      if (i !== undefined) { this._status[i] = 255; this._touched(i, false); }
      return;
    }
    let moved = false;
    if (i === undefined) {
      if (this._size === this._capacity) this._grow();
      i = this._size++;
      this._index[key] = i;
      moved = true;
    }
    // Position in world pixels at zoom 0; zoom z multiplies by 2^z.
    const x = worldX(row[EQ.LON]), y = worldY(row[EQ.LAT]);
    if (x !== this._x[i] || y !== this._y[i]) moved = true;
    this._x[i] = x; this._y[i] = y;
    this._status[i] = STATUS_INDEX.get(row[EQ.STATUS]) ?? 255;
    this._kind[i] = this._kindIndex.get(row[EQ.KIND]) ?? 255;
    if (!quiet) this._touched(i, moved);
  },
  /** Device `i` changed: in a storm a few lamps change between two paints, so only the squares
      around them are drawn again (drawChanged), not the 34,000 devices of the whole map; a
      device that moved or came new is not in the drawing's grid, so the whole map is. */
  _touched(i, moved) {
    if (moved || !this._grid) this._whole = true;
    else this._changed.add(i);
    dirty.add("equipment-canvas");
    scheduleRender();
  },
  _grow() {
    this._capacity *= 2;
    for (const name of ["_x", "_y", "_status", "_kind"]) {
      const bigger = new this[name].constructor(this._capacity);
      bigger.set(this[name]);
      this[name] = bigger;
    }
  },
  redraw() { this._whole = true; dirty.add("equipment-canvas"); scheduleRender(); },
  /** The next update() draws every device (the districts were drawn anew). */
  redrawAll() { this._whole = true; },
  _hide() { if (this._canvas) this._canvas.style.visibility = "hidden"; },
  _reposition() {
    const size = this._map.getSize();
    const topLeft = this._map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(this._canvas, topLeft);
    // A canvas given its own size again is cleared and its memory reallocated: only on a
    // real change of size (a ResizeObserver or a move end may say the same size again).
    if (this._canvas.width !== size.x) this._canvas.width = size.x;
    if (this._canvas.height !== size.y) this._canvas.height = size.y;
    this._canvas.style.visibility = "visible";
    this.draw();
  },
  /** Canvas coordinates of equipment `key` (for tests and tooltips). */
  pointOf(key) {
    const i = this._index[key];
    const scale = 2 ** this._map.getZoom();
    const origin = this._map.getPixelOrigin().add(this._map.containerPointToLayerPoint([0, 0]));
    return [Math.round(this._x[i] * scale - origin.x), Math.round(this._y[i] * scale - origin.y)];
  },
  /** What render() calls: the changed squares alone when they are few, else everything. */
  update() {
    if (this._whole || !this._grid || this._changed.size > CHANGED_DRAW_LIMIT) this.draw();
    else if (this._changed.size) this.drawChanged();
  },
  draw() {
    // Pixels are written into one ImageData and put once: 35,000 fillRect calls on a
    // software canvas take ~100 ms, this takes a few.
    this._whole = false;
    this._changed.clear();
    this._grid = null;
    if (!this._map || !this._x) return;
    const width = this._canvas.width, height = this._canvas.height;
    if (!width || !height) return;
    const ctx = this._canvas.getContext("2d");
    if (!this._image || this._image.width !== width || this._image.height !== height) {
      this._image = ctx.createImageData(width, height);
      this._pixels = new Uint32Array(this._image.data.buffer);
    }
    this._pixels.fill(0);
    const zoom = this._map.getZoom();
    const scale = 2 ** zoom;
    const origin = this._map.getPixelOrigin().add(this._map.containerPointToLayerPoint([0, 0]));
    const base = Math.round((zoom <= 12 ? 2 : zoom <= 14 ? 3 : 5) * screenScale());
    this._sizes = STATUS_ORDER.map((_, s) => (s === 4 ? base + 4 : s === 3 ? base + 2 : base));
    this._shown = this._kinds.map((kind) => visibleKinds.has(kind));
    // Each device's centre on the canvas, and a grid of cells listing the devices centred in
    // each (counting sort): what drawChanged asks for the devices around a changed one.
    const n = this._size, xs = this._x, ys = this._y, ox = origin.x, oy = origin.y;
    if (!this._cx || this._cx.length < this._capacity) {
      this._cx = new Int32Array(this._capacity); this._cy = new Int32Array(this._capacity);
    }
    const cx = this._cx, cy = this._cy;
    const columns = Math.ceil(width / GRID_CELL) + 2, rows = Math.ceil(height / GRID_CELL) + 2;
    const cells = columns * rows; // and one more, for the devices far off the canvas
    const cellOf = new Int32Array(n);
    const starts = new Int32Array(cells + 2);
    for (let i = 0; i < n; i++) {
      const x = Math.round(xs[i] * scale - ox), y = Math.round(ys[i] * scale - oy);
      cx[i] = x; cy[i] = y;
      // The border cells hold the devices just off the canvas, whose squares may reach it.
      const column = Math.floor(x / GRID_CELL) + 1, row = Math.floor(y / GRID_CELL) + 1;
      const cell = column < 0 || column >= columns || row < 0 || row >= rows ? cells : row * columns + column;
      cellOf[i] = cell;
      starts[cell + 1]++;
    }
    for (let c = 0; c <= cells; c++) starts[c + 1] += starts[c];
    const members = new Int32Array(n), filled = starts.slice(0, cells + 1);
    for (let i = 0; i < n; i++) members[filled[cellOf[i]]++] = i; // ascending i in each cell
    this._grid = { columns, rows, starts, members, width, height };
    this._paint(0, 0, width, height, null);
    ctx.putImageData(this._image, 0, 0);
  },
  /** The squares of the changed devices, each drawn again with every device that overlaps
      it, in the whole drawing's order: the pixels come out as draw() would make them. */
  drawChanged() {
    const grid = this._grid;
    const ctx = this._canvas.getContext("2d");
    const reach = this._sizes[4]; // the largest square: what may overlap a changed one
    const rects = [];
    for (const i of this._changed) {
      const x0 = this._cx[i] - reach, y0 = this._cy[i] - reach;
      const x1 = Math.min(grid.width, this._cx[i] + reach + 1), y1 = Math.min(grid.height, this._cy[i] + reach + 1);
      if (x1 <= 0 || y1 <= 0 || x0 >= grid.width || y0 >= grid.height) continue;
      rects.push([Math.max(0, x0), Math.max(0, y0), x1, y1]);
    }
    this._changed.clear();
    for (const [x0, y0, x1, y1] of rects) {
      // The devices whose square may reach into the rectangle: centred within `reach` of it.
      const near = [];
      const c0 = Math.max(0, Math.floor((x0 - reach) / GRID_CELL) + 1), c1 = Math.min(grid.columns - 1, Math.floor((x1 + reach) / GRID_CELL) + 1);
      const r0 = Math.max(0, Math.floor((y0 - reach) / GRID_CELL) + 1), r1 = Math.min(grid.rows - 1, Math.floor((y1 + reach) / GRID_CELL) + 1);
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          const cell = r * grid.columns + c;
          for (let k = grid.starts[cell]; k < grid.starts[cell + 1]; k++) near.push(grid.members[k]);
        }
      }
      near.sort((a, b) => a - b);
      const pixels = this._pixels, width = grid.width;
      for (let y = y0; y < y1; y++) pixels.fill(0, y * width + x0, y * width + x1);
      this._paint(x0, y0, x1, y1, near);
      ctx.putImageData(this._image, 0, 0, x0, y0, x1 - x0, y1 - y0);
    }
  },
  /** Squares of the devices `which` (all when null, in index order) clipped to [x0, x1) x
      [y0, y1), in three passes, no sort: the many (ok, maintenance, offline), then degraded,
      then faults on top. Squares of a few pixels are written pixel by pixel: a fill() call per
      row costs more than the row (150,000 devices: ~95 ms a drawing under load, against ~25). */
  _paint(x0Clip, y0Clip, x1Clip, y1Clip, which) {
    const pixels = this._pixels, width = this._grid.width;
    const statuses = this._status, kinds = this._kind, cx = this._cx, cy = this._cy;
    const sizes = this._sizes, shown = this._shown;
    const count = which ? which.length : this._size;
    const pass = (lowest, highest) => {
      for (let k = 0; k < count; k++) {
        const i = which ? which[k] : k;
        const s = statuses[i];
        if (s < lowest || s > highest || !shown[kinds[i]]) continue;
        const size = sizes[s], half = size >> 1, colour = PIXEL_COLOURS[s];
        const x0 = cx[i] - half, y0 = cy[i] - half;
        if (x0 >= x1Clip || y0 >= y1Clip || x0 + size <= x0Clip || y0 + size <= y0Clip) continue;
        const xStart = x0 < x0Clip ? x0Clip : x0, xEnd = x0 + size > x1Clip ? x1Clip : x0 + size;
        const yEnd = y0 + size > y1Clip ? y1Clip : y0 + size;
        for (let y = y0 < y0Clip ? y0Clip : y0; y < yEnd; y++) {
          const row = y * width;
          for (let x = xStart; x < xEnd; x++) pixels[row + x] = colour;
        }
      }
    };
    pass(0, 2);
    pass(3, 3);
    pass(4, 4);
  },
});

// --- Map ------------------------------------------------------------------------------
function createMap() {
  const element = document.getElementById("wall-map");
  map = OndijonMap.create(element, { zoomControl: false, attributionControl: !!element.dataset.tileUrl });
  // The configured view is for a 1920-pixel-wide wall; a 4K wall shows the same area.
  const zoomFor = () => config.zoom + Math.max(0, Math.round(Math.log2(element.clientWidth / 1200)));
  map.setView(config.center, zoomFor());
  // The grid settles after the snapshot arrives (and a wall may be resized): keep Leaflet's
  // idea of the map's size, and so its renderers' bounds, in step with the element.
  new ResizeObserver(() => {
    map.invalidateSize();
    map.setView(config.center, zoomFor(), { animate: false });
  }).observe(element);
  markerLayers.districts = L.layerGroup();
  markerLayers.teams = L.layerGroup();
  markerLayers.interventions = L.layerGroup();
  markerLayers.alerts = L.layerGroup();
  markerLayers.markets = L.layerGroup();
  markerLayers.priority = L.layerGroup();
  equipmentLayer = new EquipmentLayer();
  equipmentLayer.reset(state.equipment, equipmentKeys);
  const layers = { districts: markerLayers.districts, equipment: equipmentLayer, teams: markerLayers.teams,
    interventions: markerLayers.interventions, alerts: markerLayers.alerts, markets: markerLayers.markets,
    priority: markerLayers.priority };
  for (const [name, layer] of Object.entries(layers)) {
    if (config.layers.includes(name)) layer.addTo(map);
  }
  addLegend(layers);
}

function addLegend(layers) {
  const Legend = L.Control.extend({
    onAdd() {
      const box = L.DomUtil.create("div", "wall-legend");
      L.DomEvent.disableClickPropagation(box);
      const names = { districts: gettext("Districts"), equipment: gettext("Equipment"), teams: gettext("Teams and vehicles"),
        interventions: gettext("Open interventions"), alerts: gettext("Active alerts"), markets: gettext("Markets"),
        priority: gettext("Signal priority") };
      const layerBoxes = Object.keys(layers).map((name) => node("label", {},
        node("input", { type: "checkbox", "data-layer": name, checked: map.hasLayer(layers[name]) }), ` ${names[name]}`));
      const kindBoxes = Object.entries(config.kinds).map(([kind, label]) => node("label", {},
        node("input", { type: "checkbox", "data-kind": kind, checked: true }), ` ${label}`));
      const statuses = STATUS_ORDER.slice().reverse().map((status) => node("div", {},
        node("span", { class: "swatch", "data-status": status }), config.statuses[status] || status));
      if (config.kiosk) {
        // A kiosk has nobody at a mouse: the legend says what is shown, with nothing to click.
        const shown = Object.keys(layers).filter((name) => map.hasLayer(layers[name]))
          .map((name) => node("span", {}, names[name]));
        box.append(
          node("h3", {}, TEXT.layers), node("div", { class: "columns" }, ...shown),
          node("h3", {}, TEXT.status), node("div", { class: "statuses" }, ...statuses),
        );
      } else {
        box.append(
          node("h3", {}, TEXT.layers), node("div", { class: "columns" }, ...layerBoxes),
          node("details", {}, node("summary", {}, TEXT.kinds), node("div", { class: "columns" }, ...kindBoxes)),
          node("h3", {}, TEXT.status), node("div", { class: "statuses" }, ...statuses),
        );
      }
      // Colours through the style object: the page's policy refuses inline style attributes.
      for (const swatch of box.querySelectorAll(".swatch")) swatch.style.background = STATUS_COLOURS[swatch.dataset.status];
      box.addEventListener("change", (event) => {
        const input = event.target;
        if (input.dataset.layer) {
          const layer = layers[input.dataset.layer];
          if (input.checked) layer.addTo(map); else map.removeLayer(layer);
        } else if (input.dataset.kind) {
          if (input.checked) visibleKinds.add(input.dataset.kind); else visibleKinds.delete(input.dataset.kind);
          equipmentLayer.redraw();
        }
      });
      return box;
    },
  });
  new Legend({ position: "bottomleft" }).addTo(map);
}

function drawDistricts() {
  markerLayers.districts.clearLayers();
  const offline = !document.getElementById("wall-map").dataset.tileUrl;
  for (const district of districts()) {
    if (!district.boundary || district.boundary.length < 3) continue;
    L.polygon(district.boundary.map(([lon, lat]) => [lat, lon]), {
      color: "#5b7fa8", weight: 1, fillColor: "#1c2a3a", fillOpacity: offline ? 0.7 : 0.05, interactive: false,
    }).addTo(markerLayers.districts);
  }
}

const markers = { team: new Map(), intervention: new Map(), alert: new Map(), market: new Map(), priority: new Map() };
const MARKER_STYLE = {
  team: (o) => ({ layer: "teams", html: () => node("div", { class: "team-marker", "data-status": o.status }), size: 18, title: `${o.call_sign} · ${STATUS_NAMES[o.status] || o.status}`, pos: [o.lat, o.lon] }),
  intervention: (o) => ({ layer: "interventions", html: () => node("div", { class: "intervention-marker", "data-priority": o.priority }), size: 14, title: `${o.reference} ${o.title}`, pos: [o.lat, o.lon] }),
  // Many alerts: one marker per small area, its count written in it (alertMarkers).
  alert: (o) => (o.area
    ? { layer: "alerts", size: 40, pos: [o.lat, o.lon], title: interpolate(gettext("%(count)s alerts here, the most severe S%(highest)s"), o, true),
      html: () => node("div", { class: "alert-marker alert-area", "data-severity": o.highest, "data-count": o.count }, node("b", {}, o.count)) }
    : { layer: "alerts", html: () => node("div", { class: "alert-marker", "data-severity": o.severity }), size: 34, title: o.title, pos: [o.lat, o.lon] }),
  // A market: its occupancy as a share of capacity, red once the gates show "full".
  market: (o) => ({ layer: "markets", size: [220, 26], pos: [o.lat, o.lon], zIndex: 500,
    html: () => node("div", { class: "market-marker", "data-full": String(o.full), "data-level": marketLevel(o), "data-market": o.id },
      node("span", { class: "name" }, o.name), node("b", { class: "share" }, percentOf(o) + "%" + (o.full ? " " + gettext("FULL") : ""))),
    title: interpolate(o.full ? gettext("%(name)s: %(occupancy)s / %(capacity)s people (full)") : gettext("%(name)s: %(occupancy)s / %(capacity)s people"), o, true) }),
  // A junction holding priority: a flashing ring the room notices, the vehicle's code beside it.
  priority: (o) => ({ layer: "priority", size: 44, pos: [o.lat, o.lon], zIndex: 1000,
    html: () => node("div", { class: "priority-marker", "data-requester": o.requester_type, "data-junction": o.junction },
      node("span", { class: "ring" }), node("span", { class: "approach", "data-approach": o.approach }),
      node("span", { class: "code" }, o.requester)),
    title: interpolate(gettext("Priority at %(junction)s for %(requester)s (%(approach)s)"), o, true) }),
};

function syncMarkers(type) {
  const existing = markers[type];
  // One marker per cause: grouped alerts are drawn by their parent, shelved ones not at all;
  // past a few hundred, one per small area (alertMarkers).
  const objects = type === "alert"
    ? Object.fromEntries(alertMarkers(state).markers.map((alert) => [String(alert.id), alert]))
    : state[type];
  for (const [key, marker] of existing) {
    if (!objects[key]) { markerLayers[MARKER_STYLE[type](marker.options.object).layer].removeLayer(marker); existing.delete(key); }
  }
  for (const [key, object] of Object.entries(objects)) {
    const style = MARKER_STYLE[type](object);
    if (style.pos[0] == null || style.pos[1] == null) continue;
    let marker = existing.get(key);
    if (marker && (marker.options.object === object || sameArea(marker.options.object, object))) continue;
    const size = (Array.isArray(style.size) ? style.size : [style.size, style.size]).map(
      (side) => Math.round(side * screenScale()),
    );
    // An element, not a string: Leaflet would insert a string as HTML.
    const html = style.html();
    // What the marker shows: in a storm a parent alert changes at each dependant that joins
    // it, most often with nothing new to show; a new icon would cost the map a layout, a
    // paint and a restarted pulse.
    const look = `${html.outerHTML} ${size} ${style.title}`;
    if (!marker) {
      const icon = L.divIcon({ className: "", html, iconSize: size });
      marker = L.marker(style.pos, { icon, title: style.title, object, look, keyboard: false, interactive: false, zIndexOffset: style.zIndex || 0 });
      marker.addTo(markerLayers[style.layer]);
      existing.set(key, marker);
      continue;
    }
    marker.options.object = object;
    const at = marker.getLatLng();
    if (at.lat !== style.pos[0] || at.lng !== style.pos[1]) marker.setLatLng(style.pos);
    if (marker.options.look !== look) {
      marker.options.look = look;
      marker.options.title = style.title;
      marker.setIcon(L.divIcon({ className: "", html, iconSize: size }));
    }
  }
}

/** An area's marker is made afresh at each frame: redrawn only if what it shows changed. */
function sameArea(before, after) {
  return Boolean(before.area && after.area && before.count === after.count && before.highest === after.highest
    && before.lat === after.lat && before.lon === after.lon);
}

// --- Panels (what each shows: wall-state.js) -------------------------------------------
/** An element with its attributes and children; strings and numbers become text nodes, so
    text from data reaches the page as text, never as HTML. */
function node(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === true) element.setAttribute(name, "");
    else if (value !== null && value !== undefined && value !== false) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Text and data attributes written only when they change: the wall redraws at every frame
    (up to 20 a second in a storm), and writing even the same text costs the page a style,
    layout and text-shaping pass. Reading them back forces no layout. */
function setText(element, text) {
  const value = String(text);
  if (element.textContent !== value) element.textContent = value;
}
function setData(element, name, text) {
  const value = String(text);
  if (element.dataset[name] !== value) element.dataset[name] = value;
}

/** Make `container`'s children the `rows` (detached elements, as node() builds them),
    replacing only the children that differ: a storm changes the queue's rows seldom and its
    counts at most, so most frames write nothing to the page. */
function patchChildren(container, rows) {
  const children = container.children;
  for (let i = 0; i < rows.length; i++) {
    const current = children[i];
    if (!current) container.append(rows[i]);
    else if (!current.isEqualNode(rows[i])) current.replaceWith(rows[i]);
  }
  while (children.length > rows.length) container.lastElementChild.remove();
}

/** Bars' widths through the style object (`data-percent`): the page's policy refuses inline
    style attributes. */
function sizeBars(container) {
  for (const bar of container.querySelectorAll("[data-percent]")) bar.style.width = bar.dataset.percent + "%";
}

let refreshing = false;
function renderAlerts() {
  const summary = alertSummary(state);
  patchChildren(document.getElementById("alert-counts"), [5, 4, 3, 2, 1].map((severity) =>
    node("li", { "data-severity": severity, "data-count": summary.bySeverity[severity] },
      node("span", { class: "severity", "data-severity": severity }, `S${severity}`),
      node("b", {}, summary.bySeverity[severity]))));
  // Only the most severe alerts pulse on the map (wall.css): the eye goes there first.
  setData(document.getElementById("wall-map"), "topSeverity", summary.highest);
  const flooding = Boolean(state.flood && state.flood.active);
  const panel = document.querySelector(".wall-alerts");
  setData(panel, "flood", flooding);
  const banner = document.getElementById("alert-flood");
  if (banner.hidden !== !flooding) banner.hidden = !flooding;
  if (flooding) {
    renderFloodGroups();
    return;
  }
  const queue = alertQueue(state);
  // The whole alerts of the snapshot all ended: a fresh one lists the next by priority.
  if (!refreshing && queue.some((alert) => alert.counted)) {
    refreshing = true;
    stream.reload().finally(() => { refreshing = false; });
  }
  const rows = queue.map((a) =>
    node("li", { "data-status": a.status, "data-alert": a.id },
      node("span", { class: "severity", "data-severity": a.severity }, `S${a.severity}`),
      node("span", { class: "title" }, a.title),
      node("span", { class: "status" }, (STATUS_NAMES[a.status] || a.status) + (a.cleared_at ? " · " + gettext("cleared") : "") + " · " + clockOf(a.raised_at, locale, timeZone))));
  if (summary.more) {
    rows.push(node("li", { class: "more", id: "alert-more", "data-more": summary.more },
      interpolate(gettext("+%s more"), [summary.more])));
  }
  patchChildren(document.getElementById("alert-queue"), rows);
}

/** The flood view: groups by category, district and kind, the most severe first. */
function renderFloodGroups() {
  const { groups, more } = floodGroups(state);
  const rows = groups.map((group) => {
    const district = group.district == null ? null : state.district[String(group.district)];
    const place = [group.category, district ? district.name : null, config.kinds[group.kind] || null].filter(Boolean).join(" · ");
    return node("li", { class: "flood-group", "data-highest": group.highest, "data-total": group.total },
      node("span", { class: "severity", "data-severity": group.highest }, `S${group.highest}`),
      node("span", { class: "title" }, place),
      node("span", { class: "status" }, interpolate(ngettext("%s alert", "%s alerts", group.total), [group.total])));
  });
  if (more) {
    rows.push(node("li", { class: "more", id: "alert-more", "data-more": more },
      interpolate(ngettext("+%s more group", "+%s more groups", more), [more])));
  }
  patchChildren(document.getElementById("alert-queue"), rows);
}

function renderInterventions() {
  const now = Date.now();
  patchChildren(document.getElementById("intervention-board"), interventionBoard(state).map((i) =>
    timeRow(node("tr", { "data-intervention": i.id, "data-reported": i.reported_at, "data-target": i.target_at || "" },
      node("td", { title: i.reference }, `P${i.priority} ${shortReference(i.reference)}`),
      node("td", {}, i.title),
      node("td", {}, STATUS_NAMES[i.status] || String(i.status).replace("_", " ")),
      node("td", { class: "elapsed" })), now)));
}

/** An intervention's row with its minutes since reported against its target, and late or not. */
function timeRow(row, now) {
  const timing = interventionTiming(row.dataset.reported, row.dataset.target, now);
  setData(row, "late", timing.late);
  setText(row.querySelector(".elapsed"),
    (timing.target === null ? timing.elapsed : timing.elapsed + " / " + timing.target) + " min");
  return row;
}

function tickInterventions() {
  const now = Date.now();
  for (const row of document.querySelectorAll("#intervention-board tr")) timeRow(row, now);
}

function renderMarkets() {
  const rows = marketList(state, locale).map((m) => {
    const percent = Math.min(100, percentOf(m));
    return node("li", { "data-market": m.id, "data-full": String(m.full), "data-level": marketLevel(m) },
      node("span", { class: "name" }, m.name),
      node("span", { class: "occupancy" }, m.occupancy + " / " + m.capacity),
      node("span", { class: "state" }, m.full ? gettext("FULL") : gettext("OPEN")),
      node("span", { class: "bar", role: "img", "aria-label": percent + "%" }, node("span", { "data-percent": percent })));
  });
  const shown = rows.length ? rows : [node("li", { class: "empty" }, TEXT.noMarket)];
  for (const row of shown) sizeBars(row);
  patchChildren(document.getElementById("market-list"), shown);
}

// --- Commands to equipment: counts, and the newest few in flight or failed ----------------
function renderCommandCounts() {
  const counts = commandCounts(state, counters, today());
  setText(document.getElementById("cmd-in-flight"), counts.inFlight);
  setText(document.getElementById("cmd-acknowledged"), counts.acknowledged);
  setText(document.getElementById("cmd-failed"), counts.failed);
  setData(document.getElementById("command-counts"), "failed", counts.failed > 0);
}

function renderCommands() {
  renderCommandCounts();
  const rows = commandRows(state, today()).map((c) => {
    const label = { requested: gettext("requested"), sent: gettext("sent"), failed: gettext("FAILED"), timed_out: gettext("TIMED OUT"), expired: gettext("EXPIRED") }[c.status] || c.status;
    const attempt = c.attempts > 1 ? " · " + interpolate(gettext("try %(n)s"), { n: c.attempts }, true) : "";
    return node("li", { "data-command": c.id, "data-status": c.status, title: c.error ?? "" },
      node("span", { class: "code" }, c.code),
      node("span", { class: "action" }, String(c.action).replace(/_/g, " ")),
      node("span", { class: "status" }, `${label}${attempt}`),
      node("time", {}, clockOf(c.time, locale, timeZone)));
  });
  patchChildren(document.getElementById("command-list"),
    rows.length ? rows : [node("li", { class: "empty" }, TEXT.noCommand)]);
}

function renderHealth() {
  const share = (s) => node("div", { class: "share", "data-low": String(s.low) },
    node("span", { class: "name" }, node("span", {}, s.name), node("b", {}, `${s.percent}%`)),
    node("span", { class: "bar" }, node("span", { "data-percent": Number(s.percent) })));
  const sized = (element) => { sizeBars(element); return element; };
  patchChildren(document.getElementById("health-kinds"), kindShares(counters.health, config.kinds).map(share).map(sized));
  patchChildren(document.getElementById("health-districts"),
    districtShares(counters.health, districts(), locale).map(share).map(sized));
}

function renderFigures() {
  const shown = figures(state, today());
  setText(document.getElementById("fig-alerts"), shown.alerts);
  setText(document.getElementById("fig-interventions"), shown.interventions);
  setText(document.getElementById("fig-teams"), shown.teams);
  setText(document.getElementById("fig-calls"), shown.calls);
  setText(document.getElementById("fig-mode"), state.mode.name || gettext("Normal"));
}

function renderMode() {
  const mode = document.getElementById("wall-mode");
  mode.dataset.mode = state.mode.code || "normal";
  mode.textContent = state.mode.name || gettext("Normal");
  const banner = document.getElementById("wall-banner");
  banner.hidden = !state.mode.banner;
  banner.textContent = state.mode.banner || "";
}

// The database's last failover, as a banner for WALL_FAILOVER_BANNER_SECONDS (then it clears:
// tick() asks again every second). Node names come from the data: set as text, never HTML.
function renderFailover() {
  const banner = document.getElementById("wall-failover");
  const failover = state.failover;
  const shown = failoverShown(failover, Date.now(), config.failoverBannerSeconds);
  banner.hidden = !shown;
  banner.dataset.planned = String(Boolean(shown && failover.planned));
  if (!shown) { banner.textContent = ""; return; }
  const values = {
    time: timeOf(new Date(failover.time), locale, timeZone),
    primary: failover.primary,
    previous: failover.previous || TEXT.noPrevious,
  };
  let text = interpolate(failover.planned ? TEXT.switchover : TEXT.failover, values, true);
  if (failover.duration_s != null) {
    const seconds = failover.duration_s.toLocaleString(locale, { maximumFractionDigits: 1 });
    text += " " + interpolate(TEXT.tookSeconds, { seconds }, true);
  }
  banner.textContent = text;
}

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function render() {
  renderQueued = false;
  const started = performance.now();
  if (dirty.has("district") && map) drawDistricts();
  if (equipmentLayer && (dirty.has("equipment-canvas") || dirty.has("district"))) {
    if (dirty.has("district")) equipmentLayer.redrawAll();
    equipmentLayer.update();
  }
  if (map) for (const type of MARKER_TYPES) if (dirty.has(type)) syncMarkers(type);
  if (dirty.has("market")) renderMarkets();
  if (dirty.has("alert") || dirty.has("flood")) renderAlerts();
  if (dirty.has("intervention")) renderInterventions();
  if (dirty.has("equipment") || dirty.has("district")) renderHealth();
  if (dirty.has("command") || dirty.has("commands")) renderCommands();
  if (dirty.has("mode")) renderMode();
  if (dirty.has("failover")) renderFailover();
  renderFigures();
  dirty.clear();
  performance.measure("wall:render", { start: started });
}

// --- Clock and staleness ----------------------------------------------------------------
function tick() {
  setText(document.getElementById("wall-clock"), timeOf(new Date(), locale, timeZone));
  const stale = document.getElementById("wall-stale");
  const silentFor = (Date.now() - lastContact) / 1000;
  stale.hidden = silentFor < config.staleSeconds;
  if (!stale.hidden) {
    stale.textContent = interpolate(gettext("Data stale since %(time)s — the screen is reconnecting"), { time: timeOf(new Date(lastContact), locale, timeZone) }, true);
  }
  setData(document.body, "stale", !stale.hidden);
  if (!document.getElementById("wall-failover").hidden) renderFailover(); // it clears in time
  tickInterventions();
  renderFigures();
  renderCommandCounts(); // "today" ends at midnight even when no command does
  // Render timings are for monitoring; an unattended screen must not keep them forever.
  if (performance.getEntriesByName("wall:render").length > 10000) performance.clearMeasures("wall:render");
}

// --- Start ------------------------------------------------------------------------------
async function start() {
  for (const panel of document.querySelectorAll("[data-panel]")) {
    panel.hidden = !config.panels.includes(panel.dataset.panel);
  }
  // Styles set through the CSSOM, which the strict CSP allows (no style attribute is written).
  const layout = panelLayout(config.panels);
  const grid = document.querySelector(".wall-grid");
  grid.style.gridTemplateColumns = layout.columns;
  grid.style.gridTemplateRows = layout.rows;
  grid.style.gridTemplateAreas = layout.areas;
  tick();
  setInterval(tick, 1000);
  while (true) {
    try { await fetchSnapshot(); break; } catch (error) {
      setConnection("offline");
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
  if (config.panels.includes("map")) createMap();
  render();
  document.body.dataset.ready = "true";
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  stream.connect();
  // Unattended screens run for months: a fresh snapshot twice a day renews the kiosk's
  // session cookie (see wall_snapshot) and redraws from the server's truth.
  setInterval(() => stream.reload(), 12 * 3600 * 1000);
}

window.ondijonWall = {
  get state() { return state; },
  equipmentPixel(key) {
    const [x, y] = equipmentLayer.pointOf(key);
    return Array.from(equipmentLayer._canvas.getContext("2d").getImageData(x, y, 1, 1).data.slice(0, 3));
  },
  drop() { stream.drop(); },
  get equipmentLayer() { return equipmentLayer; },
  render() { for (const type of ["equipment", "equipment-canvas", ...MARKER_TYPES, "command", "commands"]) dirty.add(type); render(); },
};
start();

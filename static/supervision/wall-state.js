/* The wall's state, pure: how a frame changes it, and what each panel shows of it.

   No page, no map, no clock of its own: wall.js draws, this module decides. It is the browser
   twin of supervision/wall.py (`apply_frame`, `latest_failures`); the same JSON cases
   (tests/supervision/wall_frames.json) run through both, so the two cannot drift apart.

   State rule: a frame covers the sequence numbers (after, seq]; it applies only if `after` is
   the last number applied (`state.seq`), else the screen asks the server for what followed.
   An object set to null in a frame has left the wall (closed, resolved, finished). */

// Object kinds a frame may change (wall/state.py OBJECT_TYPES); districts are the map's outlines.
export const OBJECT_TYPES = ["equipment", "team", "intervention", "alert", "market", "priority", "command", "district"];
// Equipment as the wall keeps it, compact (wall.py equipment_row): 34,000 in the demo city.
export const EQ = { CODE: 0, KIND: 1, STATUS: 2, DISTRICT: 3, LAT: 4, LON: 5 };
// A command in flight (wall.py command_row); a lockdown puts thousands in flight at once.
export const CMD = { ACTION: 0, CODE: 1, STATUS: 2, ATTEMPTS: 3, REQUESTED: 4 };
// A lockdown fails commands by the dozen: the wall names only the latest few (wall.py).
export const RECENT_FAILURES = 8;
export const COMMAND_ROWS = 8;
export const QUEUE_ROWS = 14;

const OPERATIONAL = new Set(["ok", "degraded"]);
const IN_PROGRESS = new Set(["dispatched", "en_route", "on_site"]);

/** A frame that does not follow the state: the screen must replay from `state.seq`. */
export class FrameOutOfOrder extends Error {}

// --- The state and its frames -------------------------------------------------------------

/** The part of a snapshot that frames change. The server sends the equipment in columns
    (`equipment_columns`, see equipmentRows); the state keeps it by id, as frames change it. */
export function stateOf(snapshot) {
  const state = { seq: snapshot.seq };
  for (const type of OBJECT_TYPES) state[type] = snapshot[type] || {};
  if (snapshot.equipment_columns) state.equipment = equipmentRows(snapshot.equipment_columns);
  if (snapshot.alert_columns) Object.assign(state.alert, alertRows(snapshot.alert_columns, state.equipment));
  state.calls = snapshot.calls;
  state.commands = snapshot.commands;
  state.mode = snapshot.mode;
  state.flood = snapshot.flood;
  state.failover = snapshot.failover || null;
  return state;
}

/** Equipment by id, each row as a frame carries it (EQ), from the snapshot's columns
    (wall/state.py equipment_columns and equipment_rows): ids as differences from the previous
    one, kinds and statuses as indexes into their names, positions in microdegrees from the
    south-west corner, codes one a line. (corner + n) / 1e6 is the very number the server's
    rows carry. */
export function equipmentRows(columns) {
  const rows = {};
  const { id: steps, kind, status, district, lat, lon, kinds, statuses } = columns;
  // One string, a code a line; a list when a code holds a line break (wall/state.py).
  const code = columns.codes === undefined ? columns.code : steps.length ? columns.codes.split("\n") : [];
  const [south, west] = columns.corner;
  let id = 0;
  for (let i = 0; i < steps.length; i++) {
    id += steps[i];
    rows[id] = [
      code[i], kind[i] === null ? null : kinds[kind[i]], status[i] === null ? null : statuses[status[i]],
      district[i], (south + lat[i]) / 1e6, (west + lon[i]) / 1e6,
    ];
  }
  return rows;
}

/** The alerts past the panel's first rows, by id, as the wall counts them (wall/state.py
    alert_columns): severity, category, device, parent, shelved or not, position (null in the
    columns: the device's). `counted` marks them: the panel has no title to list them with. */
export function alertRows(columns, equipment) {
  const rows = {};
  const { id: steps, severity, categories, category, parent, shelved, lat, lon } = columns;
  const [south, west] = columns.corner;
  let id = 0;
  for (let i = 0; i < steps.length; i++) {
    id += steps[i];
    const device = columns.equipment[i];
    const row = lat[i] === null && device !== null ? equipment[device] : null;
    rows[id] = {
      id, counted: true, severity: severity[i], category: categories[category[i]], equipment: device,
      parent: parent[i], shelved_until: shelved[i] ? true : null,
      lat: lat[i] !== null ? (south + lat[i]) / 1e6 : row ? row[EQ.LAT] : null,
      lon: lon[i] !== null ? (west + lon[i]) / 1e6 : row ? row[EQ.LON] : null,
    };
  }
  return rows;
}

/** The ids of the snapshot's equipment, as numbers in its order: what a layer indexes by
    without turning 150,000 keys into strings (Object.keys). */
export function equipmentIds(snapshot) {
  const steps = snapshot.equipment_columns ? snapshot.equipment_columns.id : null;
  if (!steps) return Object.keys(snapshot.equipment || {});
  const ids = new Array(steps.length);
  let id = 0;
  for (let i = 0; i < steps.length; i++) ids[i] = id += steps[i];
  return ids;
}

/** Apply one frame to `state` in place (wall.py apply_frame) and return the parts it changed:
    object types, "calls", "commands", "mode", "flood", "failover". `observe(type, key, before, after)` is called
    for each object before it changes, so counters and map layers follow without a rescan. */
export function applyFrame(state, frame, observe = null) {
  if (frame.after !== state.seq) {
    throw new FrameOutOfOrder(`frame starts after ${frame.after}, state is at ${state.seq}`);
  }
  const changed = new Set();
  for (const [type, objects] of Object.entries(frame.objects)) {
    const kept = state[type];
    if (kept === undefined) throw new TypeError(`no such object type on the wall: ${type}`);
    for (const [key, value] of Object.entries(objects)) {
      if (observe) observe(type, key, kept[key], value);
      if (value === null) delete kept[key];
      else kept[key] = value;
    }
    changed.add(type);
  }
  // Hotline calls per local day: the count restarts when a new day begins.
  for (const day of Object.keys(frame.calls || {}).sort()) {
    const count = frame.calls[day];
    if (day === state.calls.day) state.calls.count += count;
    else if (day > state.calls.day) state.calls = { day, count };
    changed.add("calls");
  }
  // Commands finished per local day: acknowledged, failed, and the latest failures named.
  for (const day of Object.keys(frame.commands || {}).sort()) {
    const counts = frame.commands[day];
    if (day > state.commands.day) state.commands = { day, acknowledged: 0, failed: 0, failures: [] };
    const finished = state.commands;
    if (day === finished.day) {
      finished.acknowledged += counts.acknowledged;
      finished.failed += counts.failed;
      finished.failures = latestFailures(finished.failures.concat(counts.failures));
    }
    changed.add("commands");
  }
  if (frame.mode != null) {
    state.mode = frame.mode;
    changed.add("mode");
  }
  // An alarm flood starts or ends (wall.py apply_frame): the alert panel's flood view.
  if (frame.flood != null) {
    state.flood = frame.flood;
    changed.add("flood");
  }
  // The database failed over (wall.py apply_frame): the header's failover banner.
  if (frame.failover != null) {
    state.failover = frame.failover;
    changed.add("failover");
  }
  state.seq = frame.seq;
  return changed;
}

/** Whether the wall shows the database's last failover at `nowMs`: for `seconds` after it
    happened (WALL_FAILOVER_BANNER_SECONDS), then the banner clears on its own. */
export function failoverShown(failover, nowMs, seconds) {
  if (!failover) return false;
  const age = (nowMs - Date.parse(failover.time)) / 1000;
  return age < seconds;
}

/** The RECENT_FAILURES latest failures, newest first, each command once (wall.py latest_failures). */
export function latestFailures(failures) {
  const latest = new Map();
  for (const failure of failures) {
    const known = latest.get(failure.id);
    if (!known || failure.seq > known.seq) latest.set(failure.id, failure);
  }
  return [...latest.values()].sort((a, b) => b.seq - a.seq).slice(0, RECENT_FAILURES);
}

// --- Counters kept as frames come (34,000 devices, thousands of commands) --------------------

/** Equipment health per kind and per district, and the commands in flight, from a state. */
export function countersOf(state) {
  const counters = { health: { kind: {}, district: {} }, commandsInFlight: Object.keys(state.command).length };
  for (const row of Object.values(state.equipment)) countHealth(counters.health, row, 1);
  return counters;
}

/** Keep `counters` in step with one object changing: pass it as applyFrame's `observe`. */
export function countChange(counters, type, before, after) {
  if (type === "equipment") {
    if (before) countHealth(counters.health, before, -1);
    if (after) countHealth(counters.health, after, 1);
  } else if (type === "command") {
    counters.commandsInFlight += (after ? 1 : 0) - (before ? 1 : 0);
  }
}

function countHealth(health, row, delta) {
  const operational = OPERATIONAL.has(row[EQ.STATUS]) ? delta : 0;
  for (const [group, key] of [["kind", row[EQ.KIND]], ["district", row[EQ.DISTRICT]]]) {
    const counter = health[group][key] || (health[group][key] = { total: 0, operational: 0 });
    counter.total += delta;
    counter.operational += operational;
  }
}

// --- Panels -------------------------------------------------------------------------------

/** The figures row: what the room reads first. `today` is the wall's local day (localDay). */
export function figures(state, today) {
  const values = Object.values;
  return {
    alerts: topLevelAlerts(state).length,
    interventions: values(state.intervention).filter((i) => IN_PROGRESS.has(i.status)).length,
    teams: values(state.team).filter((t) => t.status === "available").length,
    calls: state.calls.day === today ? state.calls.count : 0,
  };
}

/** The alerts the room works: one per cause (a grouped alert shows under its parent), the
    shelved ones apart. */
export function topLevelAlerts(state) {
  return Object.values(state.alert).filter((alert) => !alert.parent && !alert.shelved_until);
}

/** The alert panel's head: how many by severity, the highest, how many rows it leaves out. */
export function alertSummary(state, limit = QUEUE_ROWS) {
  const top = topLevelAlerts(state);
  const bySeverity = { 5: 0, 4: 0, 3: 0, 2: 0, 1: 0 };
  for (const alert of top) bySeverity[alert.severity] = (bySeverity[alert.severity] || 0) + 1;
  const highest = top.reduce((most, alert) => Math.max(most, alert.severity), 0);
  return { total: top.length, bySeverity, highest, more: Math.max(0, top.length - limit) };
}

/** The flood view (supervision/alerts/flood.py flood_groups): the open alerts, one per cause,
    grouped by category, district and equipment kind, with their counts by severity, the most
    severe group first, then the largest; `more` groups left out past `limit`. */
export function floodGroups(state, limit = QUEUE_ROWS) {
  const groups = new Map();
  for (const alert of topLevelAlerts(state)) {
    const row = alert.equipment == null ? null : state.equipment[String(alert.equipment)];
    const district = row ? row[EQ.DISTRICT] : null;
    const kind = row ? row[EQ.KIND] : "";
    const key = JSON.stringify([alert.category, district, kind]);
    let group = groups.get(key);
    if (!group) {
      group = { key, category: alert.category, district, kind, total: 0, highest: 0, bySeverity: { 5: 0, 4: 0, 3: 0, 2: 0, 1: 0 } };
      groups.set(key, group);
    }
    group.total += 1;
    group.highest = Math.max(group.highest, alert.severity);
    group.bySeverity[alert.severity] = (group.bySeverity[alert.severity] || 0) + 1;
  }
  const sorted = [...groups.values()].sort((a, b) => b.highest - a.highest || b.total - a.total || (a.key < b.key ? -1 : 1));
  return { groups: sorted.slice(0, limit), more: Math.max(0, sorted.length - limit) };
}

// Past this many alerts on the map, one marker per small area instead of one per alert: a
// district's power cut draws a handful of markers, not thousands (the wall stays fluid).
export const AGGREGATE_ALERTS_FROM = 150;

/** The alert markers: one per cause while they are few; past `from`, one per small area (a
    cell of `cell` degrees of latitude, as wide in longitude at Dijon's latitude) with its
    count and its highest severity, at the mean position of its alerts. */
export function alertMarkers(state, cell = 0.01, from = AGGREGATE_ALERTS_FROM) {
  const alerts = topLevelAlerts(state).filter((alert) => alert.lat != null && alert.lon != null);
  if (alerts.length <= from) return { aggregated: false, markers: alerts };
  const areas = new Map();
  for (const alert of alerts) {
    const key = `area:${Math.floor(alert.lat / cell)}:${Math.floor(alert.lon / (cell * 1.5))}`;
    let area = areas.get(key);
    if (!area) areas.set(key, (area = { id: key, area: true, count: 0, highest: 0, lat: 0, lon: 0 }));
    area.count += 1;
    area.highest = Math.max(area.highest, alert.severity);
    area.lat += alert.lat;
    area.lon += alert.lon;
  }
  const markers = [...areas.values()].map((area) => ({
    ...area, lat: +(area.lat / area.count).toFixed(6), lon: +(area.lon / area.count).toFixed(6),
  }));
  return { aggregated: true, markers };
}

/** Open alerts, one per cause, most severe first, then the newest. Of the same severity the
    alerts a snapshot sent as columns (`counted`) come after the whole ones: they came after
    them in the server's order. */
export function alertQueue(state, limit = QUEUE_ROWS) {
  return topLevelAlerts(state)
    .sort((a, b) => b.severity - a.severity || Boolean(a.counted) - Boolean(b.counted)
      || (b.raised_at > a.raised_at ? 1 : -1))
    .slice(0, limit);
}

/** Open interventions, most urgent priority first, then the longest waiting. */
export function interventionBoard(state, limit = QUEUE_ROWS) {
  return Object.values(state.intervention)
    .sort((a, b) => a.priority - b.priority || (a.reported_at > b.reported_at ? 1 : -1))
    .slice(0, limit);
}

/** "INT-2026-000042" reads "#42" from across the room; the full reference is in the title. */
export function shortReference(reference) {
  return String(reference).replace(/^[A-Z]+-\d{4}-0*/, "#");
}

/** Minutes since an intervention was reported, its target in minutes, and whether it is late. */
export function interventionTiming(reportedAt, targetAt, now) {
  const reported = Date.parse(reportedAt);
  const target = targetAt ? Date.parse(targetAt) : null;
  return {
    elapsed: minutes(now - reported),
    target: target === null ? null : minutes(target - reported),
    late: target !== null && now > target,
  };
}

function minutes(ms) {
  return Math.max(0, Math.floor(ms / 60000));
}

/** Regulated markets in name order (as the wall's language sorts them). */
export function marketList(state, locale) {
  return Object.values(state.market).sort((a, b) => a.name.localeCompare(b.name, locale));
}

/** A market's occupancy as a share of its capacity, in percent. */
export function percentOf(market) {
  return market.capacity ? Math.round((100 * market.occupancy) / market.capacity) : 0;
}

/** "full" once the gates show full, "high" from 75 %, else "ok". */
export function marketLevel(market) {
  return market.full ? "full" : percentOf(market) >= 75 ? "high" : "ok";
}

/** Commands in flight, acknowledged and failed today. */
export function commandCounts(state, counters, today) {
  const isToday = state.commands.day === today;
  return {
    inFlight: counters.commandsInFlight,
    acknowledged: isToday ? state.commands.acknowledged : 0,
    failed: isToday ? state.commands.failed : 0,
  };
}

/** The newest commands, in flight and failed today together, newest first: in a burst the
    failures come after the requests, so they rise to the top where the room sees them. */
export function commandRows(state, today, limit = COMMAND_ROWS) {
  const failures = state.commands.day === today ? state.commands.failures : [];
  const rows = newestInFlight(state, limit).map((e) => ({
    id: e.id, action: e.row[CMD.ACTION], code: e.row[CMD.CODE], status: e.row[CMD.STATUS],
    attempts: e.row[CMD.ATTEMPTS], time: e.time, error: "",
  })).concat(failures.map((f) => ({
    id: f.id, action: f.action, code: f.equipment_code, status: f.status, attempts: 0, time: f.time, error: f.error,
  })));
  rows.sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.id - a.id);
  return rows.slice(0, limit);
}

/** The `limit` newest commands in flight, in one pass: a lockdown holds 2,000+ of them, and
    sorting them all on every frame would be wasted. Times are the server's ISO strings in
    UTC, so they compare as text; the id breaks ties (one batch shares its time). */
export function newestInFlight(state, limit) {
  const newest = [];
  const newer = (a, b) => a.time > b.time || (a.time === b.time && a.id > b.id);
  for (const key in state.command) {
    const row = state.command[key];
    const entry = { id: Number(key), time: row[CMD.REQUESTED], row };
    if (newest.length === limit && !newer(entry, newest[limit - 1])) continue;
    let at = Math.min(newest.length, limit - 1);
    while (at > 0 && newer(entry, newest[at - 1])) at--;
    newest.splice(at, 0, entry);
    if (newest.length > limit) newest.pop();
  }
  return newest;
}

/** Share of operational equipment per kind, in the catalogue's order (`kinds`: code → name). */
export function kindShares(health, kinds) {
  return shares(health.kind, (kind) => kinds[kind] || kind);
}

/** Share of operational equipment per district, by district name. */
export function districtShares(health, districts, locale) {
  const names = Object.fromEntries(districts.map((d) => [String(d.id), d.name]));
  return shares(health.district, (id) => names[id] || id).sort((a, b) => a.name.localeCompare(b.name, locale));
}

function shares(counters, nameOf) {
  return Object.entries(counters)
    .filter(([, counter]) => counter.total > 0)
    .map(([key, counter]) => {
      const percent = Math.round((100 * counter.operational) / counter.total);
      return { key, name: nameOf(key), percent, low: percent < 90 };
    });
}

// --- Days and clocks, in the wall's language and time zone (settings, via the page) --------

/** The local day of `moment` as "YYYY-MM-DD", as the server counts days (wall.py local_day). */
export function localDay(moment, timeZone) {
  const parts = new Intl.DateTimeFormat("en", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(moment);
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** Hours and minutes of an ISO time; a control room reads a 24-hour clock. */
export function clockOf(iso, locale, timeZone) {
  return new Date(iso).toLocaleTimeString(locale, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/** Hours, minutes and seconds of a moment, 24-hour. */
export function timeOf(moment, locale, timeZone) {
  return moment.toLocaleTimeString(locale, {
    timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
}

// --- Layout ---------------------------------------------------------------------------------

// The panels beside the map, top to bottom, with their share of its height. The commands
// never get less than their title, their counts on two lines and one row (the "no command in
// flight" line): in French the counts wrap, and a share alone left the row below the panel.
const COMMANDS_LEAST = "8.5rem";
const SIDE_PANELS = [
  ["alerts", "1fr"], ["interventions", "1fr"], ["markets", "auto"],
  ["commands", `minmax(${COMMANDS_LEAST}, 0.8fr)`],
];

/** The wall's grid for the panels its screen shows: a missing panel gives its room to the
    others (no empty hole); without the map the side panels take the whole width, and without
    side panels the map does. Returns CSS grid-template values. */
export function panelLayout(panels) {
  const shown = new Set(panels);
  const side = SIDE_PANELS.filter(([name]) => shown.has(name));
  const map = shown.has("map");
  const twoColumns = map && side.length > 0;
  const across = (name) => (twoColumns ? `"${name} ${name}"` : `"${name}"`);
  const areas = [];
  const rows = [];
  if (shown.has("figures")) { areas.push(across("figures")); rows.push("auto"); }
  if (side.length) {
    const first = rows.length;
    for (const [name, size] of side) { areas.push(map ? `"map ${name}"` : `"${name}"`); rows.push(size); }
    // Something must take the height left: the last side panel when none of them grows.
    if (!rows.slice(first).some((size) => /fr\)?$/.test(size))) rows[rows.length - 1] = "1fr";
  } else if (map) {
    areas.push('"map"'); rows.push("1fr");
  }
  if (shown.has("health")) { areas.push(across("health")); rows.push("auto"); }
  return { columns: twoColumns ? "63fr 37fr" : "1fr", rows: rows.join(" "), areas: areas.join(" ") };
}

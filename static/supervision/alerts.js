/* The operators' alert desk (/alerts/): the queue stays live without reloading the page.

   The page is rendered by the server with the queue as of sequence number `config.seq`; it
   then follows the events log over /ws/alerts/ (the wall's protocol, supervision/live/consumers.py:
   a frame covers the numbers (after, seq] and applies only on top of the page's own number;
   "reload" means too far behind). Each alert carries its whole latest snapshot, so applying
   one twice is harmless. The selected alert's details stay server-rendered: when it changes,
   the page says so and updates what the buttons allow. `document.body.dataset.lastSeq` is the
   last number applied. Keys: j/k or ↓/↑ move through the queue, a acknowledges, q qualifies,
   r resolves. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("alert-desk-config").textContent);
  const queue = document.getElementById("alert-queue");
  const detail = document.getElementById("alert-detail");
  const selectedId = config.selected === null ? null : String(config.selected);
  const state = { seq: config.seq, alerts: new Map() }; // id -> snapshot (alert_snapshot)
  const fresh = new Set();
  let renderQueued = false;
  // What the page says on its own (one place, to translate).
  const TEXT = { noAlert: gettext("No alert matches.") };

  function setAlerts(snapshots) {
    state.alerts = new Map(snapshots.map((alert) => [String(alert.id), alert]));
  }
  setAlerts(config.alerts);

  // --- Applying changes ---------------------------------------------------------------------

  function matches(alert) {
    const f = config.filters;
    const status = f.status === "open" ? config.openStatuses.includes(alert.status) : alert.status === f.status;
    // One cause, one row: a grouped alert shows under its parent, a shelved one apart.
    if (f.status === "open" && (alert.parent || alert.shelved_until)) return false;
    return status && (!f.severity || alert.severity >= f.severity) && (!f.category || alert.category === f.category);
  }

  /** An alert's latest snapshot, or null when it left the open queue (resolved or closed). */
  function applyAlert(id, snapshot) {
    id = String(id);
    const known = state.alerts.has(id);
    if (snapshot && matches(snapshot)) {
      if (!known) {
        fresh.add(id);
        announce(interpolate(gettext("New in the queue: %(severity)s — %(title)s"), { severity: config.severities[snapshot.severity] || "", title: snapshot.title }, true));
      }
      state.alerts.set(id, snapshot);
    } else if (known) {
      state.alerts.delete(id);
    }
    if (id === selectedId) selectedChanged(snapshot);
    scheduleRender();
  }

  /** A frame of the socket: the latest state of each alert that changed in (after, seq]. */
  function applyFrame(frame) {
    const alerts = (frame.objects && frame.objects.alert) || {};
    for (const [id, snapshot] of Object.entries(alerts)) applyAlert(id, snapshot);
    setSeq(frame.seq);
  }

  /** One event of the log, as GET /api/v1/events/?after=<seq> lists them (for a client that
      replays events one by one rather than in frames). */
  function applyEvent(event) {
    if (event.seq <= state.seq) return;
    if (event.subject_type === "alert" && event.payload && event.payload.alert) {
      applyAlert(event.subject_id, event.payload.alert);
    }
    setSeq(event.seq);
  }

  function setSeq(seq) {
    state.seq = seq;
    document.body.dataset.lastSeq = String(seq);
  }

  async function loadSnapshot() {
    const url = config.queueUrl + (config.query ? "?" + config.query : "");
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error("queue " + response.status);
    const snapshot = await response.json();
    setAlerts(snapshot.alerts);
    setSeq(snapshot.seq);
    const selected = selectedId && state.alerts.get(selectedId);
    if (selectedId && selected && detail.dataset.status !== selected.status) selectedChanged(selected);
    scheduleRender();
  }

  // --- The queue ----------------------------------------------------------------------------

  const CLOCK = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Paris", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function clock(iso) {
    const parts = Object.fromEntries(CLOCK.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return `${parts.day}/${parts.month} ${parts.hour}:${parts.minute}`;
  }

  /** An element with its attributes and children; strings become text nodes, so text from
      data reaches the page as text, never as HTML. */
  function node(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) element.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) element.append(child);
    }
    return element;
  }

  function mostUrgentFirst(a, b) {
    return b.severity - a.severity || Date.parse(b.raised_at) - Date.parse(a.raised_at) || b.id - a.id;
  }

  // Same markup as templates/supervision/_alert_row.html.
  function row(alert) {
    const id = String(alert.id);
    const href = `${config.deskUrl}?${config.query ? config.query + "&" : ""}alert=${id}`;
    return node("li", {
      "data-alert": id, "data-severity": alert.severity, "data-status": alert.status,
      "aria-current": id === selectedId ? "true" : null, class: fresh.has(id) ? "fresh" : null,
    }, node("a", { href },
      node("span", { class: "sev", "data-severity": alert.severity }, String(config.severities[alert.severity] ?? "")),
      " ",
      node("span", { class: "title" }, String(alert.title ?? "")),
      " ",
      node("span", { class: "meta" },
        node("span", { class: "status" }, String(config.statuses[alert.status] ?? "")),
        (alert.cleared_at ? " · " + gettext("cleared") : "") + " · ",
        node("time", { datetime: alert.raised_at }, clock(alert.raised_at)),
        ` · ${alert.category ?? ""}`,
        alert.children ? " · " : "",
        alert.children ? node("span", { class: "children", "data-children": alert.children },
          interpolate(ngettext("%s grouped", "%s grouped", alert.children), [alert.children])) : "")));
  }

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(render);
  }

  function render() {
    renderQueued = false;
    const focused = document.activeElement && queue.contains(document.activeElement)
      ? document.activeElement.closest("li").dataset.alert : null;
    const alerts = [...state.alerts.values()].sort(mostUrgentFirst).slice(0, config.limit);
    queue.replaceChildren(...(alerts.length ? alerts.map(row) : [node("li", { class: "empty" }, TEXT.noAlert)]));
    document.getElementById("queue-count").textContent = String(alerts.length);
    fresh.clear();
    if (focused) {
      const link = queue.querySelector(`li[data-alert="${focused}"] a`);
      if (link) link.focus({ preventScroll: true });
    }
  }

  function announce(text) {
    document.getElementById("desk-announce").textContent = text;
  }

  // --- The selected alert -------------------------------------------------------------------

  function selectedChanged(snapshot) {
    const status = snapshot ? snapshot.status : "finished";
    if (status === detail.dataset.status) return;
    detail.dataset.status = status;
    const label = snapshot ? config.statuses[status] : gettext("Resolved or closed");
    document.getElementById("detail-status").textContent = label + (snapshot && snapshot.cleared_at ? " · " + gettext("condition cleared") : "");
    const notice = document.getElementById("detail-changed");
    notice.querySelector(".what").textContent = interpolate(gettext("now %(status)s."), { status: label.toLowerCase() }, true);
    notice.hidden = false;
    for (const button of detail.querySelectorAll("button[data-when]")) {
      // Unknown between resolved and closed: leave Close to the server's answer.
      const allowed = status === "finished" ? button.dataset.when.includes("resolved") : button.dataset.when.split(" ").includes(status);
      if (!allowed) button.disabled = true;
    }
  }

  // --- Keyboard -----------------------------------------------------------------------------

  function move(delta) {
    const items = [...queue.querySelectorAll("li[data-alert]")];
    if (!items.length) return;
    const current = document.activeElement && queue.contains(document.activeElement)
      ? document.activeElement.closest("li") : queue.querySelector("li[aria-current=true]");
    const index = items.indexOf(current);
    const next = items[index < 0 ? 0 : Math.min(items.length - 1, Math.max(0, index + delta))];
    if (next && next !== current) location.assign(next.querySelector("a").href);
  }

  function press(selector) {
    const button = detail.querySelector(selector);
    if (button && !button.disabled) button.click();
  }

  function focusField(selector) {
    const field = detail.querySelector(selector);
    if (field) field.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return;
    const actions = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      a: () => press("#acknowledge-form button[type=submit]"),
      q: () => focusField("#qualify-form select, #qualify-form input:not([type=hidden])"),
      r: () => focusField("#resolve-form textarea"),
    };
    if (!actions[event.key]) return;
    event.preventDefault();
    actions[event.key]();
  });

  // --- Live: frames over the events socket, replay after a drop (static/ondijon/stream.js) ------
  const stream = OndijonStream.open({
    path: config.socketPath,
    seq: () => state.seq,
    applyFrame,
    loadSnapshot,
    onState: (value) => OndijonStream.showConnection(document.getElementById("desk-connection"), value),
  });

  setSeq(state.seq);
  const current = queue.querySelector("li[aria-current=true] a");
  if (current && !document.querySelector(".field-error")) {
    current.focus({ preventScroll: true });
    current.scrollIntoView({ block: "nearest" });
  }
  stream.connect();
  window.ondijonAlertDesk = { state, applyFrame, applyEvent, drop: () => stream.drop() };
})();

/* The dispatcher's desk: click the map to create, see the nearest teams with ETA, assign.

   Live: the desk loads its state once (/dispatch/state/: teams and open interventions as their
   events carry them, and the events log number), then applies the dispatch stream's frames
   (/ws/dispatch/, static/ondijon/stream.js): no polling. `document.body.dataset.lastSeq` is
   the last number applied. The selected intervention's details and candidates come from the
   REST API, fetched again when a frame changes it or a team of its service. */
(function () {
  "use strict";
  const api = window.OndijonApi;
  const API = "/api/v1/interventions/";
  const STATE_URL = "/dispatch/state/";
  const map = OndijonMap.create(document.getElementById("dispatch-map"));
  const teamLayer = L.layerGroup().addTo(map);
  const interventionLayer = L.layerGroup().addTo(map);
  const candidateLayer = L.layerGroup().addTo(map);
  let draft = null;
  let selectedId = null;
  const STEP_LABELS = { qualified: gettext("Qualify"), resolved: gettext("Resolve"), closed: gettext("Close"), cancelled: gettext("Cancel") };
  const STEP_ACTIONS = { qualified: "qualify", resolved: "resolve", closed: "close", cancelled: "cancel" };
  // Overdue: past the target time and nobody on site yet (services.is_overdue).
  const BEFORE_SITE = new Set(["reported", "qualified", "dispatched", "en_route"]);
  const TEAM_COLOURS = { available: "#4dd0e1", busy: "#ffb000", off_duty: "#6c7a89" };
  const CANDIDATES_EVERY_MS = 1000;

  const state = { seq: 0, team: {}, intervention: {} };
  const markers = { team: new Map(), intervention: new Map() };
  const dirty = new Set();
  let renderQueued = false;

  // --- State: a snapshot, then frames ---------------------------------------------------
  async function loadSnapshot() {
    const snapshot = await api.get(STATE_URL);
    state.seq = snapshot.seq;
    state.team = snapshot.team;
    state.intervention = snapshot.intervention;
    document.body.dataset.lastSeq = String(state.seq);
    dirty.add("team").add("team-names").add("intervention");
    scheduleRender();
    refreshSelected();
  }

  function applyFrame(frame) {
    let selectedTouched = false;
    let serviceTeamsTouched = false;
    const selected = selectedId !== null ? state.intervention[selectedId] : null;
    for (const [type, changed] of Object.entries(frame.objects)) {
      if (!state[type]) continue;
      for (const [key, value] of Object.entries(changed)) {
        const before = state[type][key];
        if (value === null) delete state[type][key];
        else state[type][key] = value;
        dirty.add(type);
        // The list names teams: redraw it for a new or renamed team, not for every movement.
        if (type === "team" && (!before || !value || before.call_sign !== value.call_sign)) dirty.add("team-names");
        if (type === "intervention" && Number(key) === selectedId) selectedTouched = true;
        if (type === "team" && selected && value && value.service === selected.service) serviceTeamsTouched = true;
      }
    }
    state.seq = frame.seq;
    document.body.dataset.lastSeq = String(state.seq);
    scheduleRender();
    if (selectedTouched) refreshSelected();
    else if (serviceTeamsTouched) refreshCandidates();
  }

  const stream = OndijonStream.open({
    path: "/ws/dispatch/",
    seq: () => state.seq,
    applyFrame,
    loadSnapshot,
    onState: (value) => OndijonStream.showConnection(document.getElementById("stream-connection"), value),
  });

  // --- Rendering -------------------------------------------------------------------------
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(render);
  }

  function render() {
    renderQueued = false;
    if (dirty.has("team")) { syncMarkers("team"); renderTeamSummary(); }
    if (dirty.has("team-names") || dirty.has("intervention")) renderInterventions();
    if (dirty.has("intervention")) syncMarkers("intervention");
    dirty.clear();
  }

  function isOverdue(item, now) {
    return Boolean(item.target_at) && BEFORE_SITE.has(item.status) && now > Date.parse(item.target_at);
  }

  function openInterventions() {
    return Object.values(state.intervention).sort((a, b) =>
      a.priority - b.priority || (a.reported_at < b.reported_at ? -1 : a.reported_at > b.reported_at ? 1 : 0));
  }

  function interventionItem(item, now) {
    const li = document.createElement("li");
    const overdue = isOverdue(item, now);
    li.dataset.id = item.id;
    li.className = `priority-${item.priority}` + (overdue ? " overdue" : "") + (item.id === selectedId ? " selected" : "");
    const teams = item.teams.map((id) => (state.team[id] ? state.team[id].call_sign : `#${id}`)).join(", ");
    li.innerHTML = `<strong></strong> <span class="status"></span><br><span class="title"></span><br><small></small>`;
    li.querySelector("strong").textContent = `P${item.priority} ${item.reference}`;
    li.querySelector(".status").textContent = api.statusLabel(item.status) + (overdue ? " · " + gettext("OVERDUE") : "");
    li.querySelector(".title").textContent = item.title;
    li.querySelector("small").textContent = teams ? interpolate(gettext("Teams: %(teams)s"), { teams }, true) : "";
    li.addEventListener("click", () => select(item.id));
    return li;
  }

  function renderInterventions() {
    const now = Date.now();
    document.getElementById("open-interventions").replaceChildren(
      ...openInterventions().map((item) => interventionItem(item, now)));
  }

  function renderTeamSummary() {
    const counts = { available: 0, busy: 0, off_duty: 0 };
    for (const team of Object.values(state.team)) counts[team.status] = (counts[team.status] || 0) + 1;
    // Each count agrees with its number ("1 disponible", "2 disponibles").
    const part = (n, text) => interpolate(text, { n }, true);
    document.getElementById("team-summary").textContent = [
      part(counts.available, ngettext("%(n)s available", "%(n)s available", counts.available)),
      part(counts.busy, ngettext("%(n)s busy", "%(n)s busy", counts.busy)),
      part(counts.off_duty, ngettext("%(n)s off duty", "%(n)s off duty", counts.off_duty)),
    ].join(" · ");
  }

  const MARKER = {
    team: (o) => ({
      layer: teamLayer, pos: [o.lat, o.lon], title: `${o.call_sign} · ${api.statusLabel(o.status)}`,
      style: { radius: 5, weight: 1, color: TEAM_COLOURS[o.status] || "#9fb0c0", fillOpacity: 0.6 },
    }),
    intervention: (o) => ({
      layer: interventionLayer, pos: [o.lat, o.lon], title: `${o.reference} ${o.title}`,
      style: { radius: 8, color: isOverdue(o, Date.now()) ? "#ff4d4f" : "#ffb000", fillOpacity: 0.7 },
    }),
  };

  // Markers follow the state object by object: a moved team moves its marker, nothing else.
  function syncMarkers(type) {
    const existing = markers[type];
    const objects = state[type];
    for (const [key, marker] of existing) {
      if (!objects[key]) { marker.remove(); existing.delete(key); }
    }
    for (const [key, object] of Object.entries(objects)) {
      const marker = existing.get(key);
      if (marker && marker.options.object === object) continue;
      const look = MARKER[type](object);
      if (look.pos[0] == null || look.pos[1] == null) { if (marker) { marker.remove(); existing.delete(key); } continue; }
      if (!marker) {
        const created = L.circleMarker(look.pos, Object.assign({ object }, look.style)).bindTooltip(OndijonMap.text(look.title));
        if (type === "intervention") created.on("click", (e) => { L.DomEvent.stop(e); select(object.id); });
        created.addTo(look.layer);
        existing.set(key, created);
      } else {
        marker.options.object = object;
        marker.setLatLng(look.pos).setStyle(look.style).setTooltipContent(OndijonMap.text(look.title));
      }
    }
  }

  // --- Creating -------------------------------------------------------------------------
  const form = document.getElementById("create-form");
  function placeDraft(latitude, longitude) {
    document.getElementById("create-hint").textContent = `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
    form.latitude.value = latitude.toFixed(6);
    form.longitude.value = longitude.toFixed(6);
    if (draft) draft.remove();
    draft = L.circleMarker([latitude, longitude], { radius: 9, color: "#ffb000" }).addTo(map);
  }
  map.on("click", async (event) => {
    placeDraft(event.latlng.lat, event.latlng.lng);
    form.title.focus();
    // The nearest address names the clicked point (the dispatcher may still correct it).
    const label = await OndijonAddress.reverse(event.latlng.lat, event.latlng.lng);
    if (label && form.latitude.value === event.latlng.lat.toFixed(6)) form.address.value = label;
  });
  form.addEventListener("address:chosen", (event) => {
    placeDraft(event.detail.latitude, event.detail.longitude);
    map.setView([event.detail.latitude, event.detail.longitude], Math.max(map.getZoom(), 16));
    form.title.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("create-error");
    error.textContent = "";
    const body = Object.fromEntries(new FormData(form).entries());
    body.priority = Number(body.priority);
    body.latitude = Number(body.latitude);
    body.longitude = Number(body.longitude);
    if (!form.latitude.value) {
      error.textContent = gettext("Place the intervention: click the map or choose an address.");
      return;
    }
    try {
      const created = await api.post(API, body);
      form.reset();
      document.getElementById("create-hint").textContent = gettext("Click the map to place another.");
      if (draft) { draft.remove(); draft = null; }
      await select(created.id); // its list entry arrives with the stream
    } catch (failure) {
      error.textContent = failure.message;
    }
  });

  // --- The selected intervention --------------------------------------------------------
  // Routes drawn as SVG paths, one per candidate, above the canvas of markers.
  const routeRenderer = L.svg();
  function candidateItem(candidate, stale) {
    const li = document.createElement("li");
    const team = candidate.team;
    li.dataset.team = team.call_sign;
    li.innerHTML = `<strong></strong> <span class="eta"></span> <button type="button" class="assign"></button>`;
    li.querySelector("strong").textContent = team.call_sign;
    // By road when the road graph answered (its length), else as the crow flies.
    const way = candidate.by_road
      ? interpolate(gettext("%(km)s km by road"), { km: (candidate.route_m / 1000).toFixed(1) }, true)
      : interpolate(gettext("%(km)s km as the crow flies"), { km: (candidate.distance_m / 1000).toFixed(1) }, true);
    li.dataset.byRoad = String(Boolean(candidate.by_road));
    li.querySelector(".eta").textContent =
      `${candidate.eta_minutes} min · ${way}` + (stale ? " · " + gettext("stale position") : "");
    const button = li.querySelector("button");
    button.textContent = gettext("Assign");
    button.setAttribute("aria-label", interpolate(gettext("Assign %s"), [team.call_sign]));
    button.addEventListener("click", () => assign(team.call_sign));
    const marker = L.circleMarker([team.latitude, team.longitude], {
      radius: 7, color: stale ? "#9fb0c0" : "#4dd0e1", fillOpacity: 0.8,
    }).bindTooltip(OndijonMap.text(`${team.call_sign} · ${candidate.eta_minutes} min`), { permanent: !stale, direction: "right" });
    marker.addTo(candidateLayer);
    if (candidate.route && !stale) {
      // Each candidate's way to the incident: the fastest bold, the others fainter.
      const first = candidateLayer.getLayers().filter((layer) => layer.options.route).length === 0;
      L.geoJSON(candidate.route, {
        renderer: routeRenderer,
        style: {
          color: first ? "#4dd0e1" : "#9fb0c0", weight: first ? 5 : 3, opacity: first ? 0.9 : 0.6,
          className: "candidate-route",
        },
      }).eachLayer((line) => { line.options.route = true; line.options.team = team.call_sign; line.addTo(candidateLayer); });
    }
    return li;
  }

  async function showDetails(id) {
    const item = await api.get(`${API}${id}/`);
    if (id !== selectedId) return;
    document.getElementById("selected").hidden = false;
    document.getElementById("selected-title").textContent = `${item.reference} ${item.title}`;
    document.getElementById("selected-address").textContent = item.address || gettext("No address given");
    document.getElementById("selected-status").textContent =
      interpolate(gettext("%(status)s · target %(time)s"), { status: api.statusLabel(item.status), time: new Date(item.target_at).toLocaleTimeString(document.documentElement.lang, { timeZone: "Europe/Paris" }) }, true) + (item.overdue ? " · " + gettext("OVERDUE") : "");
    const steps = document.getElementById("steps");
    steps.replaceChildren(...item.allowed_transitions.filter((s) => STEP_ACTIONS[s]).map((step) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = STEP_LABELS[step];
      button.dataset.step = step;
      button.addEventListener("click", () => changeStatus(id, STEP_ACTIONS[step]));
      return button;
    }));
  }

  async function showCandidates(id) {
    const ranking = await api.get(`${API}${id}/candidates/`);
    if (id !== selectedId) return;
    candidateLayer.clearLayers();
    // A resolved, closed or cancelled intervention offers no team to send.
    document.getElementById("teams-block").hidden = !ranking.assignable;
    if (!ranking.assignable) {
      document.getElementById("candidates").replaceChildren();
      document.getElementById("stale").replaceChildren();
      return;
    }
    document.getElementById("candidates").replaceChildren(...ranking.candidates.map((c) => candidateItem(c, false)));
    document.getElementById("stale").replaceChildren(...ranking.stale.map((c) => candidateItem(c, true)));
  }

  // A burst of team movements costs one candidates request per second, not one per frame.
  function forSelected(fetcher) {
    return async () => {
      if (selectedId === null) return;
      try { await fetcher(selectedId); } catch (failure) {
        document.getElementById("assign-error").textContent = failure.message;
      }
    };
  }
  const refreshDetails = api.coalesced(forSelected(showDetails));
  const refreshCandidates = api.coalesced(forSelected(showCandidates), CANDIDATES_EVERY_MS);
  function refreshSelected() { return Promise.all([refreshDetails(), refreshCandidates()]); }

  async function select(id) {
    selectedId = id;
    document.getElementById("assign-error").textContent = "";
    for (const li of document.querySelectorAll("#open-interventions li")) {
      li.classList.toggle("selected", Number(li.dataset.id) === id);
    }
    await refreshSelected();
  }

  async function assign(callSign) {
    const error = document.getElementById("assign-error");
    error.textContent = "";
    try {
      await api.post(`${API}${selectedId}/assign/`, { team: callSign });
    } catch (failure) {
      error.textContent = failure.message;
      refreshCandidates(); // the team was taken: show who is left
    }
  }

  async function changeStatus(id, action) {
    try {
      await api.post(`${API}${id}/${action}/`);
    } catch (failure) {
      document.getElementById("assign-error").textContent = failure.message;
    }
  }

  // --- Start ----------------------------------------------------------------------------
  async function start() {
    while (true) {
      try { await loadSnapshot(); break; } catch (error) {
        OndijonStream.showConnection(document.getElementById("stream-connection"), "offline");
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    }
    stream.connect();
    // Overdue is a matter of time passing, not of events: redraw the list now and then.
    setInterval(() => {
      renderInterventions();
      for (const marker of markers.intervention.values()) marker.setStyle(MARKER.intervention(marker.options.object).style);
    }, 30000);
  }

  window.ondijonDispatch = { state, drop() { stream.drop(); } };
  start();
})();

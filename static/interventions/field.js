/* The field crew's phone: current assignment, directions, steps, position from geolocation.

   Live: the page follows its own stream (/ws/field/, static/ondijon/stream.js), which carries
   only this team and its assignments. A frame moves the team's status at once and fetches the
   assignment again (/api/v1/teams/mine/: directions and details are the server's), at most
   one fetch in flight. No polling; a dropped socket reconnects and replays what it missed. */
(function () {
  "use strict";
  const api = window.OndijonApi;
  const root = document.getElementById("field");
  const teamId = root.dataset.teamId;
  const map = OndijonMap.create(document.getElementById("field-map"), { zoomControl: false });
  const layer = L.layerGroup().addTo(map);
  const routeRenderer = L.svg(); // the route as an SVG path above the canvas of markers
  // Which steps make sense in each status of the intervention.
  const ENABLED = {
    dispatched: ["en-route", "on-site"],
    en_route: ["on-site"],
    on_site: ["done"],
  };
  const POSITION_EVERY_MS = 10000;
  let current = null;
  let lastSent = 0;
  let fitted = null;
  const state = { seq: 0, mine: null };

  function show(mine) {
    state.mine = mine;
    document.getElementById("team-status").textContent = api.statusLabel(mine.team.status);
    current = mine.intervention;
    document.getElementById("assignment").hidden = !current;
    document.getElementById("actions").hidden = !current;
    document.getElementById("no-assignment").hidden = Boolean(current);
    layer.clearLayers();
    if (mine.team.latitude !== null) {
      L.circleMarker([mine.team.latitude, mine.team.longitude], { radius: 7, color: "#4dd0e1", fillOpacity: 0.9 })
        .bindTooltip(OndijonMap.text(mine.team.call_sign)).addTo(layer);
    }
    if (!current) return;
    document.getElementById("assignment-title").textContent = `P${current.priority} ${current.title}`;
    document.getElementById("assignment-meta").textContent =
      `${current.reference} · ${api.statusLabel(current.status)}` + (current.overdue ? " · " + gettext("OVERDUE") : "");
    document.getElementById("directions").textContent = mine.directions;
    // By road: the way drawn on the map and each turn with its street, in the user's language.
    const steps = document.getElementById("turn-by-turn");
    const road = mine.road;
    steps.hidden = !road;
    steps.replaceChildren(...(road ? road.steps : []).map((step) => {
      const li = document.createElement("li");
      li.dataset.maneuver = step.maneuver;
      li.textContent = step.distance_m
        ? interpolate(gettext("%(instruction)s, %(distance)s m"), { instruction: step.instruction, distance: step.distance_m }, true)
        : step.instruction;
      return li;
    }));
    if (road) {
      L.geoJSON(road.route, {
        renderer: routeRenderer,
        style: { color: "#4dd0e1", weight: 5, opacity: 0.9, className: "crew-route" },
      }).addTo(layer);
    }
    document.getElementById("assignment-description").textContent = current.description;
    const target = [current.latitude, current.longitude];
    L.circleMarker(target, { radius: 10, color: "#ff4d4f", fillOpacity: 0.8 }).addTo(layer);
    if (fitted !== current.id) {
      map.invalidateSize();
      const points = [target];
      if (mine.team.latitude !== null) points.push([mine.team.latitude, mine.team.longitude]);
      map.fitBounds(L.latLngBounds(points).pad(0.5), { maxZoom: 16, animate: false });
      fitted = current.id;
    }
    const enabled = ENABLED[current.status] || [];
    for (const button of document.querySelectorAll(".field-steps button")) {
      button.disabled = !enabled.includes(button.dataset.step);
    }
  }

  // At most one fetch in flight and one queued behind it, whatever the number of frames.
  const refresh = api.coalesced(async () => {
    try {
      show(await api.get("/api/v1/teams/mine/"));
    } catch (failure) {
      document.getElementById("field-error").textContent = failure.message;
    }
  });

  async function loadSnapshot() {
    const mine = await api.get("/api/v1/teams/mine/");
    state.seq = mine.seq;
    document.body.dataset.lastSeq = String(state.seq);
    show(mine);
  }

  function applyFrame(frame) {
    state.seq = frame.seq;
    document.body.dataset.lastSeq = String(state.seq);
    const team = (frame.objects.team || {})[teamId];
    if (team) document.getElementById("team-status").textContent = api.statusLabel(team.status);
    if (Object.keys(frame.objects).length) refresh();
  }

  const stream = OndijonStream.open({
    path: "/ws/field/",
    seq: () => state.seq,
    applyFrame,
    loadSnapshot,
    onState: (value) => OndijonStream.showConnection(document.getElementById("stream-connection"), value),
  });

  for (const button of document.querySelectorAll(".field-steps button")) {
    button.addEventListener("click", async () => {
      if (!current) return;
      const error = document.getElementById("field-error");
      error.textContent = "";
      const note = document.getElementById("note");
      try {
        await api.post(`/api/v1/interventions/${current.id}/${button.dataset.step}/`,
          button.dataset.step === "done" ? { note: note.value } : {});
        if (button.dataset.step === "done") note.value = "";
      } catch (failure) {
        error.textContent = failure.message;
      }
      await refresh();
    });
  }

  async function sendPosition(position) {
    const now = Date.now();
    if (now - lastSent < POSITION_EVERY_MS) return;
    lastSent = now;
    const { latitude, longitude } = position.coords;
    try {
      await api.post(`/api/v1/teams/${teamId}/position/`, {
        latitude: Number(latitude.toFixed(6)),
        longitude: Number(longitude.toFixed(6)),
        time: new Date(position.timestamp).toISOString(),
      });
      document.getElementById("position-line").textContent =
        interpolate(gettext("Position sent %(time)s: %(latitude)s, %(longitude)s"), { time: new Date().toLocaleTimeString(document.documentElement.lang, { timeZone: "Europe/Paris" }), latitude: latitude.toFixed(5), longitude: longitude.toFixed(5) }, true);
    } catch (failure) {
      document.getElementById("position-line").textContent = interpolate(gettext("Position not sent: %(error)s"), { error: failure.message }, true);
    }
  }

  // The browser words its own message in its language, not the page's: say why from the
  // error's code (GeolocationPositionError: 1 refused, 2 unavailable, 3 too slow).
  const LOCATION_PROBLEMS = {
    1: gettext("the phone does not give its location (allow it in the browser's settings)"),
    2: gettext("the phone cannot find where it is"),
    3: gettext("the phone took too long to find where it is"),
  };
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(sendPosition, (error) => {
      const why = LOCATION_PROBLEMS[error.code] || gettext("the phone cannot find where it is");
      document.getElementById("position-line").textContent = interpolate(gettext("No location: %(error)s"), { error: why }, true);
    }, { enableHighAccuracy: true, maximumAge: 5000 });
  }
  async function start() {
    while (true) {
      try { await loadSnapshot(); break; } catch (error) {
        OndijonStream.showConnection(document.getElementById("stream-connection"), "offline");
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    }
    stream.connect();
  }

  window.ondijonField = { state, drop() { stream.drop(); } };
  start();
})();

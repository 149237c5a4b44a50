/* The dispatcher's desk: click the map to create, see the nearest teams with ETA, assign. */
(function () {
  "use strict";
  const api = window.OndijonApi;
  const API = "/api/v1/interventions/";
  const map = OndijonMap.create(document.getElementById("dispatch-map"));
  const interventionLayer = L.layerGroup().addTo(map);
  const candidateLayer = L.layerGroup().addTo(map);
  let draft = null;
  let selectedId = null;
  const STEP_LABELS = { qualified: "Qualify", resolved: "Resolve", closed: "Close", cancelled: "Cancel" };
  const STEP_ACTIONS = { qualified: "qualify", resolved: "resolve", closed: "close", cancelled: "cancel" };

  const form = document.getElementById("create-form");
  map.on("click", (event) => {
    form.hidden = false;
    document.getElementById("create-hint").textContent =
      `${event.latlng.lat.toFixed(5)}, ${event.latlng.lng.toFixed(5)}`;
    form.latitude.value = event.latlng.lat.toFixed(6);
    form.longitude.value = event.latlng.lng.toFixed(6);
    if (draft) draft.remove();
    draft = L.circleMarker(event.latlng, { radius: 9, color: "#ffb000" }).addTo(map);
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
    try {
      const created = await api.post(API, body);
      form.reset();
      form.hidden = true;
      document.getElementById("create-hint").textContent = "Click the map to place another.";
      if (draft) { draft.remove(); draft = null; }
      await refresh();
      select(created.id);
    } catch (failure) {
      error.textContent = failure.message;
    }
  });

  function interventionItem(item) {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    li.className = `priority-${item.priority}` + (item.overdue ? " overdue" : "") + (item.id === selectedId ? " selected" : "");
    const teams = item.assignments.filter((a) => !a.released_at).map((a) => a.team).join(", ");
    li.innerHTML = `<strong></strong> <span class="status"></span><br><span class="title"></span><br><small></small>`;
    li.querySelector("strong").textContent = `P${item.priority} ${item.reference}`;
    li.querySelector(".status").textContent = item.status.replace("_", " ") + (item.overdue ? " · OVERDUE" : "");
    li.querySelector(".title").textContent = item.title;
    li.querySelector("small").textContent = teams ? `Teams: ${teams}` : "";
    li.addEventListener("click", () => select(item.id));
    return li;
  }

  async function refresh() {
    const page = await api.get(`${API}?open=true&ordering=priority,reported_at&page_size=200`);
    const list = document.getElementById("open-interventions");
    list.replaceChildren(...page.results.map(interventionItem));
    interventionLayer.clearLayers();
    for (const item of page.results) {
      L.circleMarker([item.latitude, item.longitude], {
        radius: 8, color: item.overdue ? "#ff4d4f" : "#ffb000", fillOpacity: 0.7,
      }).bindTooltip(`${item.reference} ${item.title}`).on("click", (e) => { L.DomEvent.stop(e); select(item.id); })
        .addTo(interventionLayer);
    }
    if (selectedId) await showSelected(selectedId);
  }

  function candidateItem(candidate, stale) {
    const li = document.createElement("li");
    const team = candidate.team;
    li.dataset.team = team.call_sign;
    li.innerHTML = `<strong></strong> <span class="eta"></span> <button type="button" class="assign">Assign</button>`;
    li.querySelector("strong").textContent = team.call_sign;
    li.querySelector(".eta").textContent =
      `${candidate.eta_minutes} min · ${(candidate.distance_m / 1000).toFixed(1)} km` + (stale ? " · stale position" : "");
    li.querySelector("button").addEventListener("click", () => assign(team.call_sign));
    const marker = L.circleMarker([team.latitude, team.longitude], {
      radius: 7, color: stale ? "#9fb0c0" : "#4dd0e1", fillOpacity: 0.8,
    }).bindTooltip(`${team.call_sign} · ${candidate.eta_minutes} min`, { permanent: !stale, direction: "right" });
    marker.addTo(candidateLayer);
    return li;
  }

  async function showSelected(id) {
    const item = await api.get(`${API}${id}/`);
    document.getElementById("selected").hidden = false;
    document.getElementById("selected-title").textContent = `${item.reference} ${item.title}`;
    document.getElementById("selected-status").textContent =
      `${item.status.replace("_", " ")} · target ${new Date(item.target_at).toLocaleTimeString()}` + (item.overdue ? " · OVERDUE" : "");
    const ranking = await api.get(`${API}${id}/candidates/`);
    candidateLayer.clearLayers();
    document.getElementById("candidates").replaceChildren(...ranking.candidates.map((c) => candidateItem(c, false)));
    document.getElementById("stale").replaceChildren(...ranking.stale.map((c) => candidateItem(c, true)));
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

  async function select(id) {
    selectedId = id;
    document.getElementById("assign-error").textContent = "";
    for (const li of document.querySelectorAll("#open-interventions li")) {
      li.classList.toggle("selected", Number(li.dataset.id) === id);
    }
    await showSelected(id);
  }

  async function assign(callSign) {
    const error = document.getElementById("assign-error");
    error.textContent = "";
    try {
      await api.post(`${API}${selectedId}/assign/`, { team: callSign });
    } catch (failure) {
      error.textContent = failure.message;
    }
    await refresh();
  }

  async function changeStatus(id, action) {
    try {
      await api.post(`${API}${id}/${action}/`);
    } catch (failure) {
      document.getElementById("assign-error").textContent = failure.message;
    }
    await refresh();
  }

  refresh();
  setInterval(refresh, 5000);
})();

/* The device console's selection (supervision/console/selection.py): devices picked by a
   rectangle or a polygon drawn on the map (Leaflet.draw, as django-leaflet ships it) and by
   filters, the action previewed (how many, which cannot take it), sent in batches with n/m
   acknowledged live, and rolled back in one click.

   Live: the console stream (/ws/console/) says commands changed; the page then reads its
   selection's progress again (at most one read in flight). */
(function () {
  "use strict";
  const root = document.getElementById("console-selection");
  if (!root) return;
  const { drawParameterInputs, readParameterInputs, showFieldErrors, postJson, gettext, interpolate } = window.OndijonConsole;
  const actionsByKind = JSON.parse(document.getElementById("kind-actions").textContent);
  const form = document.getElementById("selection-form");
  const kind = document.getElementById("sel-kind");
  const select = document.getElementById("command-action");
  const paramsBox = document.getElementById("command-params");
  const confirmRow = document.getElementById("confirm-row");
  const state = { seq: Number(root.dataset.seq), box: null, polygon: null, selection: null };

  // --- Map: the kind's devices, and a rectangle or a polygon drawn on it (Leaflet.draw) -------
  const mapElement = document.getElementById("selection-map");
  const map = window.L && window.OndijonMap ? OndijonMap.create(mapElement) : null;
  const shapeText = document.getElementById("box-text");
  const shapeStyle = { color: "#ffb000", weight: 2 };
  const drawn = map ? L.featureGroup().addTo(map) : null;
  const devices = {};

  function describe(text) {
    shapeText.textContent = text;
  }

  /** A rectangle [south, west, north, east], or none. */
  function setBox(box) {
    state.box = box;
    state.polygon = null;
    if (drawn) {
      drawn.clearLayers();
      if (box) L.rectangle([[box[0], box[1]], [box[2], box[3]]], shapeStyle).addTo(drawn);
    }
    describe(box
      ? interpolate(gettext("Rectangle: %(south)s, %(west)s to %(north)s, %(east)s"), { south: box[0].toFixed(5), west: box[1].toFixed(5), north: box[2].toFixed(5), east: box[3].toFixed(5) }, true)
      : "");
  }

  /** A polygon [[latitude, longitude], ...], or none. */
  function setPolygon(corners) {
    state.box = null;
    state.polygon = corners;
    if (drawn) {
      drawn.clearLayers();
      if (corners) L.polygon(corners, shapeStyle).addTo(drawn);
    }
    describe(corners
      ? interpolate(gettext("Polygon of %(count)s corners"), { count: corners.length }, true)
      : "");
  }

  if (map && L.Control.Draw) {
    // Leaflet.draw's own words, in the page's language.
    const local = L.drawLocal.draw;
    local.toolbar.buttons.rectangle = gettext("Select by a rectangle");
    local.toolbar.buttons.polygon = gettext("Select by a polygon");
    local.toolbar.actions.title = gettext("Cancel drawing");
    local.toolbar.actions.text = gettext("Cancel");
    local.toolbar.finish.title = gettext("Finish drawing");
    local.toolbar.finish.text = gettext("Finish");
    local.toolbar.undo.title = gettext("Delete the last corner drawn");
    local.toolbar.undo.text = gettext("Delete the last corner");
    local.handlers.polygon.tooltip.start = gettext("Click to start the polygon.");
    local.handlers.polygon.tooltip.cont = gettext("Click to add a corner.");
    local.handlers.polygon.tooltip.end = gettext("Click the first corner to close the polygon.");
    local.handlers.polyline.error = gettext("The sides of the polygon must not cross.");
    local.handlers.rectangle.tooltip.start = gettext("Press and drag to draw the rectangle.");
    local.handlers.simpleshape.tooltip.end = gettext("Release the mouse to finish the rectangle.");
    map.addControl(new L.Control.Draw({
      draw: {
        polyline: false, circle: false, circlemarker: false, marker: false,
        // showArea off: Leaflet.draw 1.0.4 fails computing the area with Leaflet 1.9.
        rectangle: { shapeOptions: shapeStyle, showArea: false },
        polygon: { shapeOptions: shapeStyle, allowIntersection: false, showArea: false },
      },
      edit: false,
    }));
    map.on(L.Draw.Event.CREATED, (event) => {
      if (event.layerType === "rectangle") {
        const bounds = event.layer.getBounds();
        setBox([bounds.getSouth(), bounds.getWest(), bounds.getNorth(), bounds.getEast()]);
      } else {
        setPolygon(event.layer.getLatLngs()[0].map((point) => [point.lat, point.lng]));
      }
    });
  }
  document.getElementById("clear-box").addEventListener("click", () => setBox(null));

  /** The devices of the kind the selection commands, by status. */
  function showDevices() {
    if (!map || !mapElement.dataset.devicesUrl) return;
    Object.values(devices).forEach((layer) => layer.remove());
    Object.keys(devices).forEach((key) => delete devices[key]);
    const url = `${mapElement.dataset.devicesUrl}?kind=${encodeURIComponent(kind.value)}`;
    OndijonConsoleMap.loadDevices(map, url, { layers: devices }).then(() => {
      mapElement.dataset.devices = String(Object.values(devices).reduce((n, layer) => n + layer.getLayers().length, 0));
      drawn.bringToFront();
    });
  }
  kind.addEventListener("change", showDevices);
  showDevices();
  window.ondijonSelection = { state, setBox, setPolygon, map };

  // --- The action ------------------------------------------------------------------------------
  function drawActions() {
    const actions = actionsByKind[kind.value] || [];
    select.replaceChildren();
    actions.forEach((action) => {
      const option = document.createElement("option");
      option.value = action.name;
      option.textContent = action.label;
      select.append(option);
    });
    drawParameters();
  }
  function drawParameters() {
    const action = (actionsByKind[kind.value] || []).find((a) => a.name === select.value);
    if (!action) { paramsBox.replaceChildren(); return; }
    drawParameterInputs(paramsBox, action);
    confirmRow.hidden = !action.confirm;
  }
  kind.addEventListener("change", drawActions);
  select.addEventListener("change", drawParameters);
  drawActions();

  function body() {
    const selection = { kind: kind.value };
    ["district", "site", "status"].forEach((name) => {
      const value = form.elements[name].value.trim();
      if (value) selection[name] = value;
    });
    if (state.box) selection.box = state.box;
    if (state.polygon) selection.polygon = state.polygon;
    return { selection, action: select.value, params: readParameterInputs(paramsBox) };
  }

  // --- Preview ---------------------------------------------------------------------------------
  const preview = document.getElementById("preview");
  document.getElementById("preview-button").addEventListener("click", async () => {
    showFieldErrors(form, {});
    const { response, data } = await postJson(root.dataset.previewUrl, body());
    if (!response.ok) { showFieldErrors(form, data.detail ? { __all__: data.detail } : data); preview.hidden = true; return; }
    ["devices", "will_change", "unchanged", "offline"].forEach((name) => {
      preview.querySelector(`[data-preview=${name}]`).textContent = String(data[name]);
    });
    const list = document.getElementById("preview-offline");
    list.replaceChildren();
    data.offline_codes.forEach((code) => {
      const li = document.createElement("li");
      li.textContent = code;
      list.append(li);
    });
    preview.hidden = false;
    root.dataset.previewed = String(data.devices);
  });

  // --- Sending and its progress ----------------------------------------------------------------
  const panel = document.getElementById("selection-progress");
  function showProgress(report) {
    state.selection = report.selection;
    panel.hidden = false;
    ["acknowledged", "total", "failed", "pending"].forEach((name) => {
      panel.querySelector(`[data-field=apply-${name}]`).textContent = String(report.apply[name]);
    });
    const restoreLine = document.getElementById("restore-line");
    restoreLine.hidden = !report.restore;
    if (report.restore) {
      ["acknowledged", "total", "failed", "pending"].forEach((name) => {
        panel.querySelector(`[data-field=restore-${name}]`).textContent = String(report.restore[name]);
      });
    }
    panel.querySelector("[data-field=status]").textContent = report.selection.status;
    panel.dataset.status = report.selection.status;
    const failures = document.getElementById("progress-failures");
    failures.replaceChildren();
    [...report.apply.failures, ...((report.restore || {}).failures || [])].forEach((failure) => {
      const li = document.createElement("li");
      li.textContent = `${failure.equipment}: ${failure.error || failure.status}`;
      failures.append(li);
    });
    document.getElementById("rollback-button").disabled = !["sending", "sent"].includes(report.selection.status);
  }

  const url = (template, id) => template.replace(/\/0\//, `/${id}/`);
  async function loadProgress() {
    if (!state.selection) return null;
    const response = await fetch(url(root.dataset.progressUrl, state.selection.id), { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    const data = await response.json();
    showProgress(data);
    return data;
  }
  let reading = null, again = false;
  function refresh() {
    if (reading) { again = true; return; }
    reading = loadProgress().finally(() => { reading = null; if (again) { again = false; refresh(); } });
  }

  const stream = OndijonStream.open({
    path: "/ws/console/",
    seq: () => state.seq,
    applyFrame(frame) {
      state.seq = frame.seq;
      if (frame.objects && frame.objects.command) refresh();
    },
    async loadSnapshot() {
      const data = await loadProgress();
      if (data) state.seq = data.seq;
    },
    onState: (value) => OndijonStream.showConnection(document.getElementById("console-connection"), value),
  });
  stream.connect();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(form, {});
    const confirm = document.getElementById("command-confirm");
    const { response, data } = await postJson(root.dataset.sendUrl, {
      ...body(),
      reason: document.getElementById("command-reason").value,
      confirm: Boolean(confirm && confirm.checked),
    });
    if (!response.ok) { showFieldErrors(form, data.detail ? { __all__: data.detail } : data); return; }
    showProgress(data);
    refresh();
  });

  // --- Planned commands --------------------------------------------------------------------
  const scheduleForm = document.getElementById("schedule-form");
  const scheduleRows = document.getElementById("schedule-rows");
  // The city's time in the page's language, whatever the browser's own zone and locale.
  const cityTime = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
    timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short",
  });
  const when = (iso) => (iso ? cityTime.format(new Date(iso)) : "—");
  async function loadSchedules() {
    const response = await fetch(root.dataset.schedulesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    scheduleRows.replaceChildren();
    data.schedules.forEach((schedule) => {
      const tr = document.createElement("tr");
      tr.dataset.schedule = schedule.id;
      const { cell } = window.OndijonConsole;
      tr.append(cell(schedule.name, "name"), cell(schedule.action), cell(when(schedule.next_run_at), "next"), cell(when(schedule.last_run_at), "last"), cell(schedule.held_since ? when(schedule.held_since) : "", "held"));
      scheduleRows.append(tr);
    });
    root.dataset.schedules = String(data.schedules.length);
  }
  scheduleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(scheduleForm, {});
    const confirm = document.getElementById("command-confirm");
    const weekdays = [...scheduleForm.querySelectorAll("input[name=weekday]:checked")].map((input) => Number(input.value));
    const { selection, action, params } = body();
    const { response, data } = await postJson(root.dataset.schedulesUrl, {
      name: scheduleForm.elements.name.value,
      selection, action, params,
      reason: document.getElementById("command-reason").value,
      confirm: Boolean(confirm && confirm.checked),
      weekdays,
      time: scheduleForm.elements.time.value,
      run_at: scheduleForm.elements.run_at.value,
    });
    if (!response.ok) { showFieldErrors(scheduleForm, data.detail ? { __all__: data.detail } : data); return; }
    scheduleForm.reset();
    loadSchedules();
  });
  loadSchedules();

  document.getElementById("rollback-button").addEventListener("click", async () => {
    if (!state.selection) return;
    const { response, data } = await postJson(url(root.dataset.rollbackUrl, state.selection.id), {});
    if (response.ok) { showProgress(data); refresh(); }
  });
})();

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
  // Listed with what each does; edited by loading it into the forms above (the selection,
  // action, parameters and reason, then its days and time), paused, resumed or removed.
  const scheduleForm = document.getElementById("schedule-form");
  const scheduleRows = document.getElementById("schedule-rows");
  const scheduleButton = document.getElementById("schedule-button");
  const cancelEdit = document.getElementById("schedule-cancel");
  const schedules = {};
  // The city's time in the page's language, whatever the browser's own zone and locale.
  const cityTime = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
    timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short",
  });
  const when = (iso) => (iso ? cityTime.format(new Date(iso)) : "—");
  // A moment as the datetime-local field writes it, in the city's time.
  const cityParts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Paris", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function cityLocal(iso) {
    if (!iso) return "";
    const part = Object.fromEntries(cityParts.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}`;
  }
  const scheduleUrl = (id) => root.dataset.scheduleUrl.replace(/\/0\.json$/, `/${id}.json`);

  function button(text, name, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.dataset.do = name;
    element.addEventListener("click", onClick);
    return element;
  }

  async function loadSchedules() {
    const response = await fetch(root.dataset.schedulesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    scheduleRows.replaceChildren();
    const { cell } = window.OndijonConsole;
    data.schedules.forEach((schedule) => {
      schedules[schedule.id] = schedule;
      const tr = document.createElement("tr");
      tr.dataset.schedule = schedule.id;
      tr.dataset.active = String(schedule.active);
      const actions = document.createElement("td");
      actions.append(
        button(gettext("Edit"), "edit", () => startEditing(schedule)),
        button(schedule.active ? gettext("Pause") : gettext("Resume"), "toggle", () => changeSchedule(schedule, { active: !schedule.active }, tr)),
        button(gettext("Remove"), "remove", () => removeSchedule(schedule, tr)),
      );
      tr.append(cell(schedule.name, "name"), cell(schedule.action), cell(schedule.active ? when(schedule.next_run_at) : gettext("Paused"), "next"), cell(when(schedule.last_run_at), "last"), cell(schedule.held_since ? when(schedule.held_since) : "", "held"), actions);
      scheduleRows.append(tr);
    });
    root.dataset.schedules = String(data.schedules.length);
  }

  function rowError(tr, data) {
    let line = tr.querySelector(".field-error");
    if (!line) {
      line = document.createElement("p");
      line.className = "field-error";
      tr.lastElementChild.append(line);
    }
    line.textContent = Object.values(data).flat().join(" ");
  }

  async function changeSchedule(schedule, changes, tr) {
    const confirm = document.getElementById("command-confirm");
    const { response, data } = await sendJson("PATCH", scheduleUrl(schedule.id), { ...changes, confirm: Boolean(confirm && confirm.checked) });
    if (!response.ok) { rowError(tr, data); return; }
    loadSchedules();
  }

  async function removeSchedule(schedule, tr) {
    if (!window.confirm(interpolate(gettext("Remove the schedule “%(name)s”?"), { name: schedule.name }, true))) return;
    const { response, data } = await sendJson("DELETE", scheduleUrl(schedule.id));
    if (!response.ok) { rowError(tr, data); return; }
    if (state.editing === schedule.id) stopEditing();
    loadSchedules();
  }

  async function sendJson(method, target, payload) {
    const response = await fetch(target, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector("input[name=csrfmiddlewaretoken]").value, Accept: "application/json" },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    return { response, data: response.status === 204 ? {} : await response.json() };
  }

  /** The schedule's selection, action and times written into the forms, to be changed. */
  function startEditing(schedule) {
    const criteria = schedule.criteria || {};
    kind.value = criteria.kind || kind.value;
    kind.dispatchEvent(new Event("change"));
    ["district", "site", "status"].forEach((name) => { form.elements[name].value = criteria[name] || ""; });
    if (criteria.polygon) setPolygon(criteria.polygon); else setBox(criteria.box || null);
    select.value = schedule.action;
    drawParameters();
    Object.entries(schedule.params || {}).forEach(([name, value]) => {
      const input = paramsBox.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!input) return;
      input.value = Array.isArray(value)
        ? value.map((person) => [person.name, person.badge, person.from || "", person.until || ""].join("; ")).join("\n")
        : String(value);
    });
    document.getElementById("command-reason").value = schedule.reason;
    scheduleForm.elements.name.value = schedule.name;
    scheduleForm.querySelectorAll("input[name=weekday]").forEach((box) => { box.checked = schedule.weekdays.includes(Number(box.value)); });
    scheduleForm.elements.time.value = schedule.time || "";
    scheduleForm.elements.run_at.value = cityLocal(schedule.run_at);
    state.editing = schedule.id;
    scheduleButton.textContent = gettext("Save the changes");
    cancelEdit.hidden = false;
    scheduleForm.dataset.editing = String(schedule.id);
    scheduleForm.scrollIntoView();
  }

  function stopEditing() {
    state.editing = null;
    scheduleForm.reset();
    scheduleButton.textContent = scheduleButton.dataset.create;
    cancelEdit.hidden = true;
    delete scheduleForm.dataset.editing;
  }
  scheduleButton.dataset.create = scheduleButton.textContent;
  cancelEdit.addEventListener("click", stopEditing);

  scheduleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(scheduleForm, {});
    const confirm = document.getElementById("command-confirm");
    const weekdays = [...scheduleForm.querySelectorAll("input[name=weekday]:checked")].map((input) => Number(input.value));
    const { selection, action, params } = body();
    const payload = {
      name: scheduleForm.elements.name.value,
      selection, action, params,
      reason: document.getElementById("command-reason").value,
      confirm: Boolean(confirm && confirm.checked),
      weekdays,
      time: scheduleForm.elements.time.value,
      run_at: scheduleForm.elements.run_at.value,
    };
    const { response, data } = state.editing
      ? await sendJson("PATCH", scheduleUrl(state.editing), payload)
      : await postJson(root.dataset.schedulesUrl, payload);
    if (!response.ok) { showFieldErrors(scheduleForm, data.detail ? { __all__: data.detail } : data); return; }
    stopEditing();
    loadSchedules();
  });
  loadSchedules();

  document.getElementById("rollback-button").addEventListener("click", async () => {
    if (!state.selection) return;
    const { response, data } = await postJson(url(root.dataset.rollbackUrl, state.selection.id), {});
    if (response.ok) { showProgress(data); refresh(); }
  });
})();

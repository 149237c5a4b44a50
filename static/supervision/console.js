/* The operators' device console (supervision/console/views.py).

   Search page: the results of /console/search.json as the operator types, and the operator
   map (static/supervision/console-map.js), its statuses live: a click on a device opens its
   page.
   Device page: a form for every action of the device's kind (its parameters from the
   equipment catalogue, field errors under their fields, a confirmation for public-safety
   actions), and its commands followed live: the console stream (/ws/console/,
   static/ondijon/stream.js) says which commands changed; the page then reads its device's
   commands again. Text from data is set with textContent only. */
(function () {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function cell(text, field) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (field) td.dataset.field = field;
    return td;
  }

  // The city's time in the page's language, whatever the browser's own zone and locale.
  const CITY_TIME = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
    timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "medium",
  });
  function localTime(iso) {
    return iso ? CITY_TIME.format(new Date(iso)) : "";
  }

  function errorLine(name) {
    const p = document.createElement("p");
    p.className = "field-error";
    p.dataset.errorFor = `params.${name}`;
    return p;
  }

  /** The inputs of an action's parameters (from the catalogue) into `box`. */
  function drawParameterInputs(box, action) {
    box.replaceChildren();
    action.parameters.forEach((parameter) => {
      const id = `param-${parameter.name}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = parameter.name;
      let input;
      if (parameter.type === "choice") {
        input = document.createElement("select");
        parameter.choices.forEach((choice) => {
          const option = document.createElement("option");
          option.value = choice;
          option.textContent = choice;
          input.append(option);
        });
      } else if (parameter.type === "people") {
        input = document.createElement("textarea");
        input.rows = 3;
        input.placeholder = gettext("One person a line: name; badge; from HH:MM; until HH:MM");
      } else {
        input = document.createElement("input");
        if (parameter.type === "integer") {
          input.type = "number";
          input.min = parameter.min;
          input.max = parameter.max;
          label.textContent = interpolate(gettext("%(name)s (%(min)s to %(max)s)"), { name: parameter.name, min: parameter.min, max: parameter.max }, true);
        }
        if (parameter.default !== null && parameter.default !== undefined) input.value = parameter.default;
      }
      input.id = id;
      input.name = parameter.name;
      input.dataset.type = parameter.type;
      box.append(label, input, errorLine(parameter.name));
    });
  }

  function readParameterInputs(box) {
    const params = {};
    box.querySelectorAll("[name]").forEach((input) => {
      const text = input.value.trim();
      if (input.dataset.type === "integer") {
        if (text !== "") params[input.name] = /^-?\d+$/.test(text) ? Number(text) : text;
      } else if (input.dataset.type === "people") {
        params[input.name] = text.split("\n").filter((line) => line.trim()).map((line) => {
          const [name, badge, from, until] = line.split(";").map((part) => (part || "").trim());
          const person = { name, badge: badge || "" };
          if (from) person.from = from;
          if (until) person.until = until;
          return person;
        });
      } else {
        params[input.name] = text;
      }
    });
    return params;
  }

  /** Field errors (as the server gives them) under their fields in `form`. */
  function showFieldErrors(form, errors) {
    form.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
    const put = (name, messages) => {
      const target = form.querySelector(`[data-error-for="${name}"]`) || form.querySelector('[data-error-for="__all__"]');
      target.textContent = [].concat(messages).join(" ");
    };
    Object.entries(errors).forEach(([name, messages]) => {
      if (name === "params" && messages && !Array.isArray(messages) && typeof messages === "object") {
        Object.entries(messages).forEach(([param, list]) => put(`params.${param}`, list));
      } else if (name === "equipment") {
        put("__all__", messages);
      } else {
        put(name, messages);
      }
    });
  }

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    });
    return { response, data: await response.json() };
  }

  window.OndijonConsole = { drawParameterInputs, readParameterInputs, showFieldErrors, postJson, cell, gettext, interpolate };

  // --- Search ------------------------------------------------------------------------------
  const search = document.getElementById("console-search");
  if (search) {
    const form = document.getElementById("search-form");
    const body = document.getElementById("search-results");
    const summary = document.getElementById("search-summary");
    let asked = 0;
    async function run() {
      const params = new URLSearchParams(new FormData(form));
      const number = ++asked;
      const response = await fetch(`${search.dataset.url}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || number !== asked) return;
      const data = await response.json();
      body.replaceChildren();
      data.results.forEach((row) => {
        const tr = document.createElement("tr");
        tr.dataset.code = row.code;
        const code = document.createElement("td");
        const link = document.createElement("a");
        link.href = search.dataset.deviceUrl.replace("CODE", encodeURIComponent(row.code));
        link.textContent = row.code;
        code.append(link);
        tr.append(code, cell(row.kind_label), cell(row.status_label, "status"), cell(row.district), cell(row.site));
        body.append(tr);
      });
      summary.textContent = data.more
        ? interpolate(gettext("The first %(shown)s devices found: narrow the search to see the others."), { shown: data.results.length }, true)
        : interpolate(gettext("%(shown)s devices found."), { shown: data.results.length }, true);
      search.dataset.loaded = String(number);
    }
    let timer = null;
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 150); });
    form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
    // What was typed before this script ran (the field has focus at once) is searched too.
    if (document.getElementById("q").value) run();

    // The operator map: every device by status, a layer per kind; a click opens its page.
    const mapElement = document.getElementById("console-map");
    if (mapElement && window.L && window.OndijonConsoleMap) {
      const map = OndijonMap.create(mapElement);
      const layers = {};
      const shown = (kind) => {
        const box = document.querySelector(`.map-layers input[value="${CSS.escape(kind)}"]`);
        return !box || box.checked;
      };
      const count = () => {
        mapElement.dataset.devices = String(Object.values(layers).reduce((n, layer) => n + layer.getLayers().length, 0));
      };
      // Statuses follow live: the console map's stream recolours a device as it changes.
      const live = OndijonConsoleMap.follow(map, mapElement.dataset.devicesUrl, {
        layers,
        seq: mapElement.dataset.seq,
        seqUrl: mapElement.dataset.seqUrl,
        indicator: document.getElementById("console-connection"),
        onNewLayer: (kind, layer) => { if (!shown(kind)) layer.remove(); },
        onDevice: (device) => {
          window.location.href = search.dataset.deviceUrl.replace("CODE", encodeURIComponent(device.code));
        },
        onChange: count,
      });
      live.ready.then(count);
      document.querySelectorAll(".map-layers input[name=layer]").forEach((box) => {
        box.addEventListener("change", () => {
          const layer = layers[box.value];
          if (!layer) return;
          if (box.checked) layer.addTo(map); else layer.remove();
        });
      });
      window.ondijonConsoleMap = { map, layers, live };
    }
    return;
  }

  // --- A device ----------------------------------------------------------------------------
  const root = document.getElementById("console-device");
  if (!root) return;
  const state = { seq: Number(root.dataset.seq), commands: [] };
  const rows = document.getElementById("command-rows");

  // The status line follows the console map's stream (/ws/console/map/): each device that
  // changed comes as [code, kind, status, district, latitude, longitude] by id.
  const statusLine = document.getElementById("device-status");
  if (statusLine) {
    const labels = JSON.parse(document.getElementById("device-status-labels").textContent);
    const showStatus = (status, label) => {
      statusLine.dataset.status = status;
      statusLine.textContent = label || labels[status] || status;
    };
    const live = { seq: Number(root.dataset.seq) };
    const statusStream = OndijonStream.open({
      path: "/ws/console/map/",
      seq: () => live.seq,
      applyFrame(frame) {
        live.seq = frame.seq;
        const row = ((frame.objects && frame.objects.equipment) || {})[root.dataset.id];
        if (row) showStatus(row[2]);
      },
      async loadSnapshot() {
        const response = await fetch(statusLine.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(response.statusText);
        const data = await response.json();
        showStatus(data.status, data.status_label);
        live.seq = data.seq;
      },
      onState: (value) => OndijonStream.showConnection(document.getElementById("status-connection"), value),
    });
    statusStream.connect();
    window.ondijonDeviceStatus = { live, drop: () => statusStream.drop() };
  }

  function drawCommands() {
    if (!rows) return;
    rows.replaceChildren();
    state.commands.forEach((command) => {
      const tr = document.createElement("tr");
      tr.dataset.command = command.id;
      tr.dataset.status = command.status;
      const params = Object.entries(command.params || {}).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
      tr.append(
        cell(localTime(command.requested_at)),
        cell(command.action, "action"),
        cell(params),
        cell(command.reason, "reason"),
        cell(command.requested_by || command.origin),
        cell(command.error ? `${command.status_label} · ${command.error}` : command.status_label, "status"),
      );
      rows.append(tr);
    });
  }

  async function loadCommands() {
    const response = await fetch(root.dataset.commandsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    const data = await response.json();
    state.commands = data.commands;
    drawCommands();
    return data;
  }

  // At most one read in flight and one queued: a burst of frames costs one fetch.
  let reading = null, again = false;
  function refresh() {
    if (reading) { again = true; return; }
    reading = loadCommands().finally(() => { reading = null; if (again) { again = false; refresh(); } });
  }

  function concernsDevice(frame) {
    const changed = (frame.objects && frame.objects.command) || {};
    const shown = new Set(state.commands.map((c) => String(c.id)));
    return Object.entries(changed).some(([id, row]) => shown.has(id) || (row && row[1] === root.dataset.code));
  }

  const initial = document.getElementById("device-commands");
  if (initial) {
    state.commands = JSON.parse(initial.textContent);
    drawCommands();
    const stream = OndijonStream.open({
      path: "/ws/console/",
      seq: () => state.seq,
      applyFrame(frame) {
        state.seq = frame.seq;
        if (concernsDevice(frame)) refresh();
      },
      async loadSnapshot() {
        const data = await loadCommands();
        if (data) state.seq = data.seq;
      },
      onState: (value) => OndijonStream.showConnection(document.getElementById("console-connection"), value),
    });
    stream.connect();
    window.ondijonConsole = { state, drop: () => stream.drop() };
  }

  // --- Command form --------------------------------------------------------------------------
  const form = document.getElementById("command-form");
  if (!form) return;
  const actions = JSON.parse(document.getElementById("device-actions").textContent);
  const select = document.getElementById("command-action");
  const paramsBox = document.getElementById("command-params");
  const confirmRow = document.getElementById("confirm-row");
  const outcome = document.getElementById("command-outcome");

  function drawParameters() {
    const action = actions.find((a) => a.name === select.value);
    drawParameterInputs(paramsBox, action);
    confirmRow.hidden = !action.confirm;
  }
  const showErrors = (errors) => showFieldErrors(form, errors);

  select.addEventListener("change", drawParameters);
  drawParameters();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors({});
    outcome.textContent = "";
    const confirm = document.getElementById("command-confirm");
    const { response, data } = await postJson(root.dataset.commandsUrl, {
      action: select.value,
      params: readParameterInputs(paramsBox),
      reason: document.getElementById("command-reason").value,
      confirm: Boolean(confirm && confirm.checked),
    });
    if (response.status === 400) {
      showErrors(data);
      return;
    }
    if (data.command) {
      state.commands = [data.command, ...state.commands.filter((c) => c.id !== data.command.id)];
      drawCommands();
    }
    outcome.textContent = response.ok ? gettext("Command sent: follow its acknowledgement below.") : (data.detail || response.statusText);
    if (response.ok) {
      document.getElementById("command-reason").value = "";
      if (confirm) confirm.checked = false;
    }
  });
})();

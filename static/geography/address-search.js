/* The address box of the desks: suggestions from /api/v1/geocode/ as the agent types, the
   chosen address fills the field and its hidden coordinates, and tells the page's map
   (event "address:chosen" with {latitude, longitude, label}). reverse() names a clicked
   point. Suggestions are written as text (textContent), never as HTML. */
(function () {
  "use strict";
  const GEOCODE = "/api/v1/geocode/";
  const REVERSE = "/api/v1/reverse/";
  const WAIT_MS = 120;

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    return response.json();
  }

  async function reverse(latitude, longitude) {
    const query = new URLSearchParams({ lat: latitude, lon: longitude });
    const found = await getJson(`${REVERSE}?${query}`);
    const feature = found && found.features && found.features[0];
    return feature ? feature.properties.label : "";
  }

  function attach(input) {
    const form = input.form;
    const field = (name) => (name && form ? form.elements.namedItem(name) : null);
    const latitudeField = field(input.dataset.latitudeField);
    const longitudeField = field(input.dataset.longitudeField);
    const list = document.createElement("ul");
    list.className = "address-suggestions";
    list.id = `${input.id || input.name}-suggestions`;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", gettext("Addresses found"));
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    let timer = null;
    let asked = 0;
    let features = [];
    let active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function highlight(index) {
      active = index;
      [...list.children].forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    }

    function choose(feature) {
      const [longitude, latitude] = feature.geometry.coordinates;
      input.value = feature.properties.label;
      if (latitudeField) latitudeField.value = latitude.toFixed(6);
      if (longitudeField) longitudeField.value = longitude.toFixed(6);
      close();
      input.dispatchEvent(new CustomEvent("address:chosen", {
        bubbles: true,
        detail: { latitude, longitude, label: feature.properties.label },
      }));
    }

    function show(found) {
      features = found;
      list.replaceChildren(...found.map((feature, index) => {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = `${list.id}-${index}`;
        item.textContent = feature.properties.label;
        // mousedown, not click: the field's blur would close the list first.
        item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(feature); });
        return item;
      }));
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", String(found.length > 0));
      highlight(found.length ? 0 : -1);
    }

    async function ask() {
      const typed = input.value.trim();
      if (typed.length < 3) { show([]); return; }
      const number = ++asked;
      const found = await getJson(`${GEOCODE}?${new URLSearchParams({ q: typed, limit: 6 })}`);
      if (number !== asked) return; // a later keystroke already asked
      show((found && found.features) || []);
    }

    input.addEventListener("input", () => {
      // Typed by hand, the old coordinates no longer belong to the text.
      if (latitudeField) latitudeField.value = "";
      if (longitudeField) longitudeField.value = "";
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      // The desk's own keys (Enter saves the call) wait until the list is closed.
      if (["ArrowDown", "ArrowUp", "Enter", "Escape"].includes(event.key)) event.stopPropagation();
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, features.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(features[active]); }
      else if (event.key === "Escape") close();
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-address-search]").forEach(attach);
  window.OndijonAddress = { reverse, attach };
})();

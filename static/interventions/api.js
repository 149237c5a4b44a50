/* Small JSON client for the ondijon API with the session's CSRF token. */
(function () {
  "use strict";
  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const detail = data && (data.detail || JSON.stringify(data));
      throw new Error(detail || response.statusText);
    }
    return data;
  }
  function minutes(seconds) { return Math.max(1, Math.ceil(seconds / 60)); }

  /** `task` wrapped so that at most one run is in flight and one more queued behind it, at
      least `minimumGapMs` apart: a burst of frames costs one fetch, not one per frame. */
  function coalesced(task, minimumGapMs = 0) {
    let running = null;
    let again = false;
    let lastStarted = 0;
    async function loop() {
      do {
        again = false;
        const wait = lastStarted + minimumGapMs - Date.now();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
        lastStarted = Date.now();
        await task();
      } while (again);
    }
    return function run() {
      if (running) { again = true; return running; }
      running = loop().finally(() => { running = null; });
      return running;
    };
  }

  // The status names the server gives its choices (interventions/models.py), for the pages.
  const STATUS_LABELS = {
    reported: gettext("Reported"), qualified: gettext("Qualified"), dispatched: gettext("Dispatched"),
    en_route: gettext("En route"), on_site: gettext("On site"), resolved: gettext("Resolved"),
    closed: gettext("Closed"), cancelled: gettext("Cancelled"),
    available: gettext("Available"), busy: gettext("Busy"), off_duty: gettext("Off duty"),
  };
  function statusLabel(code) { return STATUS_LABELS[code] || String(code).replace(/_/g, " "); }

  window.OndijonApi = {
    get: (url) => call("GET", url),
    post: (url, body) => call("POST", url, body || {}),
    minutes,
    coalesced,
    statusLabel,
  };
})();

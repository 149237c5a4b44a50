// The platform panel refreshes its table every few seconds (the server renders it; its
// text is escaped there), so a process that stops shows without a reload.
(function () {
  "use strict";
  const REFRESH_MS = 5000;

  async function refresh() {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("#processes tbody");
      const current = document.querySelector("#processes tbody");
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    } catch (error) {
      // The platform is unreachable: keep the last table, try again at the next tick.
    }
  }

  window.setInterval(refresh, REFRESH_MS);
})();

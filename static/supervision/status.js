// The public status page keeps itself current without reloading (no <meta refresh>): every
// minute, unless the reader switches it off, or when they ask, it fetches the page again and
// puts the new main part in place; the footer says when it last did. The page comes from our
// own server, which escaped every text in it.
(function () {
  "use strict";
  const main = document.getElementById("status-main");
  const updated = document.getElementById("status-updated");
  const form = document.getElementById("status-refresh");
  const auto = document.getElementById("status-auto");
  if (!main || !updated || !form || !auto) return;
  const EVERY_MS = 60000;
  let timer = null;

  function stamp(text) {
    updated.textContent = text;
  }

  async function update() {
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const freshMain = fresh.getElementById("status-main");
      const freshUpdated = fresh.getElementById("status-updated");
      if (freshMain) main.replaceChildren(...Array.from(freshMain.childNodes, (n) => document.importNode(n, true)));
      if (freshUpdated) stamp(freshUpdated.textContent);
    } catch (error) {
      stamp(gettext("Could not update: the information above may be out of date."));
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = auto.checked ? setInterval(update, EVERY_MS) : null;
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
  auto.addEventListener("change", schedule);
  schedule();
})();

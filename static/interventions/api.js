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
  window.OndijonApi = {
    get: (url) => call("GET", url),
    post: (url, body) => call("POST", url, body || {}),
    minutes,
  };
})();

// The "camera to the wall" forms (alert desk, dispatch desk, the map's device page): an
// operator puts any camera on a wall screen's tile, or gives the tile back to its own cameras.
// The web app logs each push; the wall's tiles pick it up within seconds.
const text = {
  pushed: gettext("%(camera)s is on tile %(tile)s of %(screen)s."),
  released: gettext("Tile %(tile)s of %(screen)s shows its own cameras again."),
  failed: gettext("Not done: %(reason)s"),
};

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
}

async function send(form, release) {
  const status = form.querySelector(".push-camera-status");
  const screen = form.elements.screen;
  const camera = form.elements.camera;
  const body = {
    screen: screen.value,
    tile: Number(form.elements.tile.value),
    origin: form.dataset.origin,
    ...(release ? { release: true } : { camera: Number(camera.value) }),
  };
  form.dataset.state = "sending";
  try {
    const response = await fetch(form.dataset.pushUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail || Object.values(answer).flat().join(" ") || String(response.status));
    const values = {
      camera: camera.selectedOptions[0].textContent,
      tile: body.tile,
      screen: screen.selectedOptions[0].textContent,
    };
    status.textContent = interpolate(release ? text.released : text.pushed, values, true);
    form.dataset.state = release ? "released" : "pushed";
  } catch (error) {
    status.textContent = interpolate(text.failed, { reason: error.message }, true);
    form.dataset.state = "failed";
  }
}

document.querySelectorAll("form.push-camera").forEach((form) => {
  // The tiles a screen has: its layout's.
  const tiles = () => {
    const layout = Number(form.elements.screen.selectedOptions[0].dataset.layout);
    Array.from(form.elements.tile.options).forEach((option) => {
      option.hidden = option.disabled = Number(option.value) > layout;
    });
    if (form.elements.tile.selectedOptions[0].disabled) form.elements.tile.value = "1";
  };
  form.elements.screen.addEventListener("change", tiles);
  tiles();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(form, false);
  });
  form.elements.release.addEventListener("click", () => send(form, true));
});

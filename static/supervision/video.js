// Video tiles of a wall screen: each tile asks the web app for its camera over WebRTC (the
// web app checks the session and logs the view; the media gateway relays the camera's H.264
// as it comes), says which camera it shows, and "signal lost" when pictures stop, then
// reconnects by itself. A tile with several cameras tours them. The simulated cameras' stamp
// (a bar code of the capture time) is read back from each painted frame: the tile's latency.
// A tile of a 3×3 or 4×4 wall watches its camera's sub stream (the tile says which stream).
// MJPEG fallback: a browser without WebRTC, a camera set to MJPEG, or a WebRTC connection that
// fails (a network that lets no media through) get the camera's pictures as JPEGs over HTTP
// from the web app, with the same checks and the same log, drawn on the tile's canvas.
const configNode = document.getElementById("wall-config");
const config = configNode ? JSON.parse(configNode.textContent).video : null;

const BAR = { left: 16, top: 8, width: 12, height: 24, bits: 44, picture: 640 };
const LOST_AFTER_MS = 2000;
// A view being set up gets longer before it counts as lost (a busy room's signalling).
const SETUP_MS = 6000;
const RECONNECT_AFTER_MS = 1500;
const KEPT_LATENCIES = 600;

const text = {
  lost: gettext("Signal lost"),
  connecting: gettext("Connecting…"),
  none: gettext("No camera"),
  alarm: gettext("Camera on alarm"),
  alarmOf: gettext("Camera on alarm: %(title)s"),
  preset: gettext("Preset %(number)s: %(name)s"),
  refused: gettext("The camera did not move: %(reason)s"),
};
const HAS_WEBRTC = typeof window.RTCPeerConnection === "function";

// Steering a PTZ camera (operators, supervisors, dispatchers; never a kiosk): a button held or
// a key held moves it at half speed, its release stops it; a preset button or digit key turns
// it to that preset. The web app speaks ONVIF to the camera and logs each move.
const KEYS = {
  ArrowLeft: { pan: -0.5 }, ArrowRight: { pan: 0.5 }, ArrowUp: { tilt: 0.5 }, ArrowDown: { tilt: -0.5 },
  "+": { zoom: 0.5 }, "=": { zoom: 0.5 }, "-": { zoom: -0.5 },
};

class Steering {
  constructor(tile) {
    this.tile = tile;
    this.bar = tile.element.querySelector(".video-ptz");
    this.presets = this.bar.querySelector(".video-presets");
    this.moving = false;
    this.bar.querySelectorAll("button[data-pan], button[data-tilt], button[data-zoom]").forEach((button) => {
      const speeds = {
        pan: Number(button.dataset.pan || 0) * 0.5,
        tilt: Number(button.dataset.tilt || 0) * 0.5,
        zoom: Number(button.dataset.zoom || 0) * 0.5,
      };
      button.addEventListener("pointerdown", () => this.move(speeds));
      for (const end of ["pointerup", "pointerleave", "pointercancel"]) button.addEventListener(end, () => this.stop());
    });
    tile.element.tabIndex = 0;
    tile.element.addEventListener("keydown", (event) => this.key(event, true));
    tile.element.addEventListener("keyup", (event) => this.key(event, false));
  }

  camera() {
    const camera = this.tile.cameras.find((item) => item.id === this.tile.cameraId);
    return camera && camera.steerable ? camera : null;
  }

  // The tile's camera changed (a tour, an alarm, a push): its own presets, or no controls.
  show() {
    const camera = this.camera();
    this.bar.hidden = !camera;
    this.presets.replaceChildren();
    if (!camera) return;
    camera.presets.forEach((preset, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "video-preset";
      button.dataset.preset = preset.token;
      button.textContent = String(index + 1);
      button.title = interpolate(text.preset, { number: index + 1, name: preset.name }, true);
      button.setAttribute("aria-label", button.title);
      button.addEventListener("click", () => this.send({ action: "preset", preset: preset.token }));
      this.presets.append(button);
    });
  }

  key(event, down) {
    const camera = this.camera();
    if (!camera || event.target.closest("input, select, textarea")) return;
    const speeds = KEYS[event.key];
    if (speeds) {
      event.preventDefault();
      if (down && !event.repeat) this.move({ pan: 0, tilt: 0, zoom: 0, ...speeds });
      if (!down) this.stop();
      return;
    }
    const preset = down && /^[1-9]$/.test(event.key) ? camera.presets[Number(event.key) - 1] : null;
    if (preset) {
      event.preventDefault();
      this.send({ action: "preset", preset: preset.token });
    }
  }

  move(speeds) {
    this.moving = true;
    this.send({ action: "move", ...speeds });
  }

  stop() {
    if (!this.moving) return;
    this.moving = false;
    this.send({ action: "stop" });
  }

  async send(body) {
    const camera = this.camera();
    if (!camera) return;
    const element = this.tile.element;
    element.dataset.ptz = "sending";
    try {
      const response = await fetch(config.ptzUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: JSON.stringify({ camera: camera.id, screen: config.screen, ...body }),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(answer.detail || Object.values(answer).flat().join(" ") || String(response.status));
      element.dataset.ptz = body.action;
      this.bar.title = "";
    } catch (error) {
      element.dataset.ptz = "refused";
      this.bar.title = interpolate(text.refused, { reason: error.message }, true);
    }
  }
}

// What the tiles measured, for the room's benches and browser tests.
const stats = (window.ondijonVideo = { tiles: {} });

function csrfToken() {
  const input = document.querySelector("#panel-video input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// `keepalive` (a close sent as the page leaves) only for small bodies: the browser caps the
// bytes of keepalive requests in flight, which sixteen offers at once would pass.
async function post(url, body, keepalive = false) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    keepalive,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

const HEADERS_END = [13, 10, 13, 10];

// The first whole JPEG of a multipart buffer, by its part's Content-Length: { bytes, end }.
function nextPart(buffer) {
  let start = -1;
  for (let i = 0; i + 3 < buffer.length; i += 1) {
    if (HEADERS_END.every((byte, k) => buffer[i + k] === byte)) {
      start = i + 4;
      break;
    }
  }
  if (start < 0) return null;
  const headers = new TextDecoder().decode(buffer.subarray(0, start));
  const length = Number((/content-length:\s*(\d+)/i.exec(headers) || [])[1]);
  if (!length || buffer.length < start + length) return null;
  return { bytes: buffer.slice(start, start + length), end: start + length };
}

function iceGathered(peer) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    // The first candidates are enough on the room's network (the gateway takes no trickled
    // candidates, and learns the screen's address from its checks anyway): wait only for the
    // ones found in the same pass, never for gathering to time out.
    let timer = null;
    peer.addEventListener("icecandidate", (event) => {
      if (!event.candidate) resolve();
      else if (timer === null) timer = setTimeout(resolve, 30);
    });
    peer.addEventListener("icegatheringstatechange", () => {
      if (peer.iceGatheringState === "complete") resolve();
    });
    setTimeout(resolve, 1500);
  });
}

// The picture's own width (either stream's: the sub stream's bar code is drawn at its scale).
function readStamp(context, source, width) {
  if (!width) return null;
  const scale = width / BAR.picture;
  const row = Math.floor((BAR.top + BAR.height / 2) * scale);
  context.canvas.width = width;
  context.canvas.height = 1;
  context.drawImage(source, 0, row, width, 1, 0, 0, width, 1);
  const pixels = context.getImageData(0, 0, width, 1).data;
  const bit = (i) => (pixels[Math.floor((BAR.left + i * BAR.width + BAR.width / 2) * scale) * 4] > 128 ? 1 : 0);
  if (bit(0) !== 1 || bit(1) !== 0) return null;
  let value = 0;
  for (let i = 2; i < BAR.bits + 2; i += 1) value = value * 2 + bit(i);
  return value;
}

class Tile {
  constructor(element, tile) {
    this.element = element;
    this.number = tile.number;
    this.video = element.querySelector("video");
    this.picture = element.querySelector("canvas.video-picture");
    this.mjpeg = null;
    // Set once a WebRTC view failed to connect: this tile's pictures come as MJPEG from then on.
    this.webrtcFailed = false;
    this.code = element.querySelector(".video-code");
    this.name = element.querySelector(".video-name");
    this.status = element.querySelector(".video-status");
    this.canvas = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    this.stats = stats.tiles[this.number] = {
      camera: null, stream: tile.stream, transport: null, frames: 0, latencies: [], firstFrameMs: null, reconnects: 0, setup: null,
    };
    this.peer = null;
    this.session = null;
    this.cameraId = null;
    this.alarm = null;
    this.pushed = null;
    this.alarmLabel = element.querySelector(".video-alarm");
    this.own = tile;
    this.steering = config.ptzUrl ? new Steering(this) : null;
    this.setCameras(tile.cameras, tile.tourSeconds);
    this.video.requestVideoFrameCallback((now, metadata) => this.painted(now, metadata));
    setInterval(() => this.watch(), 500);
  }

  // The camera on alarm takes the tile until its alert is resolved; then its own come back.
  onAlarm(alarm) {
    const current = this.alarm ? this.alarm.camera.id : null;
    const next = alarm ? alarm.camera.id : null;
    this.alarm = alarm;
    this.alarmLabel.textContent = alarm ? interpolate(text.alarmOf, { title: alarm.alert.title }, true) : text.alarm;
    this.element.dataset.onAlarm = alarm ? "true" : "false";
    if (next === current) return;
    if (alarm) {
      clearInterval(this.tour);
      this.cameras = [alarm.camera];
      this.open(alarm.camera);
    } else {
      this.showOwnOrPushed();
    }
  }

  // A camera an operator pushed onto the tile (from a desk or the map) shows instead of the
  // tile's own until the tile is released; the camera on alarm still comes first.
  onPushed(camera) {
    const current = this.pushed ? this.pushed.id : null;
    this.pushed = camera || null;
    this.element.dataset.pushed = camera ? "true" : "false";
    if ((camera ? camera.id : null) === current || this.alarm) return;
    this.showOwnOrPushed();
  }

  showOwnOrPushed() {
    if (this.pushed) {
      clearInterval(this.tour);
      this.cameras = [this.pushed];
      this.open(this.pushed);
    } else {
      this.setCameras(this.own.cameras, this.own.tourSeconds);
    }
  }

  setCameras(cameras, tourSeconds) {
    this.cameras = cameras;
    this.tourIndex = 0;
    clearInterval(this.tour);
    if (cameras.length > 1) {
      this.tour = setInterval(() => {
        this.tourIndex = (this.tourIndex + 1) % this.cameras.length;
        this.open(this.cameras[this.tourIndex]);
      }, tourSeconds * 1000);
    }
    this.open(cameras[0] || null);
  }

  show(state, message) {
    this.element.dataset.state = state;
    this.status.textContent = message || "";
    this.status.hidden = !message;
  }

  async open(camera) {
    await this.close();
    this.cameraId = camera ? camera.id : null;
    this.stats.camera = camera ? camera.code : null;
    this.code.textContent = camera ? camera.code : "";
    this.name.textContent = camera ? camera.name : "";
    this.element.dataset.camera = camera ? camera.code : "";
    if (this.steering) this.steering.show();
    if (!camera) {
      this.show("empty", text.none);
      return;
    }
    this.show("connecting", text.connecting);
    this.opened = performance.now();
    this.lastFrame = null;
    const transport = !HAS_WEBRTC || camera.transport === "mjpeg" || this.webrtcFailed ? "mjpeg" : "webrtc";
    this.element.dataset.transport = this.stats.transport = transport;
    this.picture.hidden = transport !== "mjpeg";
    this.video.hidden = transport === "mjpeg";
    if (transport === "mjpeg") {
      this.openMjpeg(camera);
      return;
    }
    const peer = (this.peer = new RTCPeerConnection());
    // When each step of the view's setup ended, in ms after the tile opened: where a slow first
    // picture loses its time (the video bench reads them).
    const setup = (this.stats.setup = {});
    const mark = (step) => { if (this.peer === peer && !(step in setup)) setup[step] = Math.round(performance.now() - this.opened); };
    peer.addEventListener("connectionstatechange", () => {
      if (peer.connectionState === "connected") mark("connected");
      // No media got through (a network that blocks it): MJPEG over HTTP at the next try.
      if (peer.connectionState === "failed" && this.peer === peer && this.lastFrame === null) this.webrtcFailed = true;
    });
    peer.addTransceiver("video", { direction: "recvonly" });
    peer.addEventListener("track", (event) => {
      this.video.srcObject = event.streams[0] || new MediaStream([event.track]);
      this.video.play().catch(() => {});
    });
    try {
      await peer.setLocalDescription(await peer.createOffer());
      await iceGathered(peer);
      mark("gathered");
      const answer = await post(config.offerUrl, {
        camera: camera.id, sdp: peer.localDescription.sdp, type: "offer", screen: config.screen, stream: this.own.stream,
      });
      if (this.peer !== peer) {
        post(config.closeUrl, { session: answer.session }).catch(() => {});
        return;
      }
      this.session = answer.session;
      mark("answered");
      await peer.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    } catch (error) {
      if (this.peer === peer) this.show("lost", text.lost);
    }
  }

  // The camera's pictures as the parts of a multipart/x-mixed-replace answer, each JPEG drawn
  // on the tile's canvas as it arrives; leaving (abort) ends the view, which the web app logs.
  async openMjpeg(camera) {
    const mjpeg = (this.mjpeg = new AbortController());
    const query = new URLSearchParams({ screen: config.screen, stream: this.own.stream });
    const url = `${config.mjpegUrl.replace("/0/", `/${camera.id}/`)}?${query}`;
    try {
      const response = await fetch(url, { credentials: "same-origin", signal: mjpeg.signal });
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      const reader = response.body.getReader();
      let buffer = new Uint8Array(0);
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.mjpeg !== mjpeg) break;
        const joined = new Uint8Array(buffer.length + value.length);
        joined.set(buffer);
        joined.set(value, buffer.length);
        buffer = joined;
        // Only the newest whole picture is drawn: a busy screen skips, it does not lag.
        let jpeg, newest = null;
        while ((jpeg = nextPart(buffer))) {
          buffer = buffer.subarray(jpeg.end);
          newest = jpeg;
        }
        if (newest) await this.drawJpeg(newest.bytes, mjpeg);
      }
    } catch (error) {
      // Aborted (the tile moved on), or the stream broke: the watch says "signal lost".
    }
    if (this.mjpeg === mjpeg && this.lastFrame !== null) this.lastFrame = 0;
  }

  async drawJpeg(bytes, mjpeg) {
    const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
    if (this.mjpeg !== mjpeg) return bitmap.close();
    if (this.picture.width !== bitmap.width) this.picture.width = bitmap.width;
    if (this.picture.height !== bitmap.height) this.picture.height = bitmap.height;
    this.picture.getContext("2d").drawImage(bitmap, 0, 0);
    bitmap.close();
    this.framePainted(Date.now(), this.picture, this.picture.width);
  }

  async close() {
    const { peer, session, mjpeg } = this;
    this.peer = this.session = this.mjpeg = null;
    if (mjpeg) mjpeg.abort();
    if (peer) peer.close();
    if (session) await post(config.closeUrl, { session }, true).catch(() => {});
  }

  painted(now, metadata) {
    this.video.requestVideoFrameCallback((next, data) => this.painted(next, data));
    if (!this.peer) return;
    this.framePainted(performance.timeOrigin + (metadata.expectedDisplayTime || now), this.video, this.video.videoWidth);
  }

  // A picture shown (by either transport): counted, its stamp read against when it was shown.
  framePainted(paintedAt, source, width) {
    if (this.lastFrame === null && this.stats.firstFrameMs === null) {
      this.stats.firstFrameMs = performance.now() - this.opened;
    }
    this.lastFrame = performance.now();
    this.stats.frames += 1;
    this.element.dataset.frames = String(this.stats.frames);
    if (this.element.dataset.state !== "live") this.show("live", "");
    const stamp = readStamp(this.canvas, source, width);
    if (stamp !== null && Math.abs(paintedAt - stamp) < 60000) {
      this.stats.latencies.push(paintedAt - stamp);
      if (this.stats.latencies.length > KEPT_LATENCIES) this.stats.latencies.shift();
    }
  }

  watch() {
    if (this.cameraId === null) return;
    const setup = this.lastFrame === null;
    const since = performance.now() - (setup ? this.opened : this.lastFrame);
    const failed = this.peer && ["failed", "closed"].includes(this.peer.connectionState);
    if ((since > (setup ? SETUP_MS : LOST_AFTER_MS) || failed) && this.element.dataset.state !== "lost") {
      this.show("lost", text.lost);
      this.lostAt = performance.now();
    }
    if (this.element.dataset.state === "lost" && performance.now() - this.lostAt > RECONNECT_AFTER_MS) {
      this.stats.reconnects += 1;
      this.lostAt = performance.now();
      this.open(this.cameras.find((camera) => camera.id === this.cameraId) || this.cameras[0]);
    }
  }
}

if (config) {
  const panel = document.getElementById("panel-video");
  panel.dataset.layout = String(config.layout);
  const template = document.getElementById("video-tile-template");
  const tiles = config.tiles.map((tile) => {
    const element = template.content.firstElementChild.cloneNode(true);
    element.dataset.tile = String(tile.number);
    if (tile.number === config.alarmTile) {
      element.dataset.alarm = "true";
      element.querySelector(".video-alarm").textContent = text.alarm;
    }
    panel.querySelector(".video-grid").append(element);
    return new Tile(element, tile);
  });
  window.addEventListener("pagehide", () => tiles.forEach((tile) => tile.close()));
  const alarmTile = tiles.find((tile) => tile.number === config.alarmTile);
  const poll = async () => {
    try {
      const response = await fetch(config.tilesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const live = await response.json();
      tiles.forEach((tile) => tile.onPushed(live.pushed[String(tile.number)] || null));
      if (alarmTile) alarmTile.onAlarm(live.alarm);
    } catch (error) {
      // The next poll tries again; the tiles keep what they show.
    }
  };
  poll();
  setInterval(poll, config.pollSeconds * 1000);
}

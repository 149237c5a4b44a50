/* A page's live view of the events log over a WebSocket (supervision/live/consumers.py): used by
   the wall screens, the dispatcher's desk, the field crew's phone and the alert desk.

   Rule: a frame covers the sequence numbers (after, seq] and applies only if `after` is the
   last number the page applied; otherwise the page reconnects with its number and the server
   replays what followed. "reload": too far behind (or no number yet), load a fresh snapshot.
   The server sends a page only the events of the subjects it shows, yet its frames cover the
   whole sequence: (after, seq] holds every event of those subjects in that range, so the
   page's number stays one number of the whole log and a replay from it misses nothing.
   A dropped socket reconnects with backoff and the same replay, so no update is ever lost.

   It is "live" only while heartbeats arrive. The server sends one every `heartbeat_seconds`
   (in its heartbeats and in a connection's first frame); a few periods without one and the page
   says so ("stale"), then drops the socket and reconnects, even if the socket still looks open
   (a server whose database or Redis froze, a network that lost the connection silently).

   OndijonStream.open({path, seq, applyFrame, loadSnapshot, onState, onMessage}):
     path          socket path, e.g. "/ws/dispatch/"
     seq()         the last number the page applied
     applyFrame(f) apply a frame whose `after` is seq()
     loadSnapshot  async: load a fresh snapshot (which sets the page's number)
     onState(s)    "connecting" | "live" | "stale" | "offline"
     onMessage()   optional: anything arrived (for "data stale" warnings)
   returns {connect(), reload(), drop()}. */
(function () {
  "use strict";

  // What the connection indicator says, in one place for translation.
  const TEXT = {
    live: gettext("Live"),
    connecting: gettext("Connecting…"),
    stale: gettext("Not live: no news from the server"),
    offline: gettext("Reconnecting…"),
  };
  // Until the server has said its period (WALL_HEARTBEAT_SECONDS).
  const DEFAULT_HEARTBEAT_SECONDS = 5;
  // Heartbeat periods without one: the page says it is not live, then reconnects.
  const STALE_AFTER_PERIODS = 2;
  const RECONNECT_AFTER_PERIODS = 3;
  const FIRST_BACKOFF_MS = 500;
  const MAX_BACKOFF_MS = 5000;

  function open(options) {
    let socket = null;
    let backoff = FIRST_BACKOFF_MS;
    let retry = null;
    let state = null;
    let heartbeatMs = DEFAULT_HEARTBEAT_SECONDS * 1000;
    let lastBeat = Date.now();
    const onMessage = options.onMessage || (() => {});

    function setState(value) {
      state = value;
      options.onState(value);
    }

    function beat(seconds) {
      heartbeatMs = seconds * 1000;
      lastBeat = Date.now();
      backoff = FIRST_BACKOFF_MS;
      setState("live");
    }

    function connect() {
      retry = null;
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const ws = new WebSocket(scheme + location.host + options.path + "?after=" + options.seq());
      socket = ws;
      lastBeat = Date.now(); // a handshake that never ends counts as silence too
      setState("connecting");
      ws.onmessage = (message) => {
        if (ws !== socket) return;
        onMessage();
        const data = JSON.parse(message.data);
        if (data.type === "frame") {
          if (data.after === options.seq()) {
            options.applyFrame(data);
            // A connection's first frame says the server's heartbeat period: it counts as one.
            if (data.heartbeat_seconds) beat(data.heartbeat_seconds);
          } else if (data.seq > options.seq()) {
            resync(); // a number is missing here: the server replays from ours
          }
        } else if (data.type === "reload") {
          reload();
        } else if (data.type === "heartbeat") {
          beat(data.heartbeat_seconds || heartbeatMs / 1000);
        }
      };
      ws.onclose = () => {
        if (ws !== socket) return;
        socket = null;
        setState("offline");
        reconnectLater();
      };
    }

    function reconnectLater() {
      if (retry) clearTimeout(retry);
      const delay = backoff * (0.75 + Math.random() / 2);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      retry = setTimeout(connect, delay);
    }

    function resync() {
      const old = socket;
      socket = null;
      if (old) old.close();
      connect();
    }

    async function reload() {
      const old = socket;
      socket = null;
      if (old) old.close();
      try {
        await options.loadSnapshot();
      } catch (error) {
        setState("offline");
        setTimeout(reload, Math.min((backoff *= 2), MAX_BACKOFF_MS));
        return;
      }
      connect();
    }

    // The watchdog: heartbeats stopped while the socket stayed open.
    setInterval(() => {
      if (!socket) return; // closed: already reconnecting
      const silent = Date.now() - lastBeat;
      if (silent > RECONNECT_AFTER_PERIODS * heartbeatMs) {
        const old = socket;
        socket = null;
        old.close();
        setState("offline");
        reconnectLater();
      } else if (silent > STALE_AFTER_PERIODS * heartbeatMs && state === "live") {
        setState("stale");
      }
    }, 250);

    return {
      connect,
      reload,
      /** Close the socket as a network failure would: the page reconnects and replays. */
      drop() { if (socket) socket.close(); },
    };
  }

  /** Show a connection state on an indicator element (a `.dot` and a `.label` inside). */
  function showConnection(element, value) {
    document.body.dataset.connection = value;
    if (!element || element.dataset.state === value) return;
    element.dataset.state = value;
    element.querySelector(".label").textContent = TEXT[value];
  }

  window.OndijonStream = { open, showConnection, TEXT };
})();

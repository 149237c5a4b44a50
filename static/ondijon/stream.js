/* A page's live view of the events log over a WebSocket (supervision/live/consumers.py): used by
   the wall screens, the dispatcher's desk, the field crew's phone and the alert desk.

   Rule: a frame covers the sequence numbers (after, seq] and applies only if `after` is the
   last number the page applied; otherwise the page reconnects with its number and the server
   replays what followed. "reload": too far behind (or no number yet), load a fresh snapshot.
   The server sends a page only the events of the subjects it shows, yet its frames cover the
   whole sequence: (after, seq] holds every event of those subjects in that range, so the
   page's number stays one number of the whole log and a replay from it misses nothing.
   A dropped socket reconnects with backoff and the same replay, so no update is ever lost.

   OndijonStream.open({path, seq, applyFrame, loadSnapshot, onState, onMessage}):
     path          socket path, e.g. "/ws/dispatch/"
     seq()         the last number the page applied
     applyFrame(f) apply a frame whose `after` is seq()
     loadSnapshot  async: load a fresh snapshot (which sets the page's number)
     onState(s)    "connecting" | "live" | "offline"
     onMessage()   optional: anything arrived (for "data stale" warnings)
   returns {connect(), reload(), drop()}. */
(function () {
  "use strict";

  function open(options) {
    let socket = null;
    let backoff = 500;
    const onMessage = options.onMessage || (() => {});

    function connect() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const ws = new WebSocket(scheme + location.host + options.path + "?after=" + options.seq());
      socket = ws;
      options.onState("connecting");
      ws.onmessage = (message) => {
        if (ws !== socket) return;
        onMessage();
        const data = JSON.parse(message.data);
        if (data.type === "frame") {
          if (data.after === options.seq()) {
            options.applyFrame(data);
            options.onState("live");
            backoff = 500;
          } else if (data.seq > options.seq()) {
            resync(); // a number is missing here: the server replays from ours
          }
        } else if (data.type === "reload") {
          reload();
        } else if (data.type === "heartbeat") {
          options.onState("live");
        }
      };
      ws.onclose = () => {
        if (ws !== socket) return;
        socket = null;
        options.onState("offline");
        const delay = backoff * (0.75 + Math.random() / 2);
        backoff = Math.min(backoff * 2, 15000);
        setTimeout(connect, delay);
      };
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
        options.onState("offline");
        setTimeout(reload, Math.min((backoff *= 2), 15000));
        return;
      }
      connect();
    }

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
    element.querySelector(".label").textContent =
      { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" }[value];
  }

  window.OndijonStream = { open, showConnection };
})();

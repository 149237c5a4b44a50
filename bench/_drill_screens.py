"""The supervision room's screens in the drills: four wall screens and the dispatcher's desk in
headless Chromium, spread over both daphne processes, and what each shows: the last events
log number it applied, whether it says "live", the last heartbeat it heard, and the value of
the probe objects the drill changes (bench/_drill_load.py: ProbeWriter).

A screen is live and caught up when it applied the number the log had reached once the
service was back, says "live", and heard a heartbeat since: a page that applies frames but
hears no heartbeat is one whose socket's background task died.
"""

import time

from _browser import CHROMIUM, CHROMIUM_ARGS

# Counts every message of every socket the page opens, heartbeats apart (installed before the
# page's own scripts, so it sees the sockets stream.js opens).
SOCKET_PROBE = """
(() => {
  const Native = window.WebSocket;
  const seen = { sockets: 0, heartbeats: 0, lastHeartbeat: 0, lastMessage: 0, lastOpen: 0 };
  window.__drill = seen;
  function Watched(...args) {
    const socket = new Native(...args);
    seen.sockets++;
    seen.lastOpen = Date.now();
    socket.addEventListener("message", (message) => {
      seen.lastMessage = Date.now();
      if (message.data.indexOf('"heartbeat"') !== -1) {
        seen.heartbeats++;
        seen.lastHeartbeat = Date.now();
      }
    });
    return socket;
  }
  Watched.prototype = Native.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Watched[name] = Native[name];
  window.WebSocket = Watched;
})();
"""

READ = """
([kind, keys]) => {
  const body = document.body.dataset;
  let values = [];
  if (kind === "wall" && window.ondijonWall) {
    const equipment = window.ondijonWall.state.equipment || {};
    values = keys.map((key) => (equipment[key] ? equipment[key][2] : null));
  } else if (kind === "desk" && window.ondijonDispatch) {
    const teams = window.ondijonDispatch.state.team || {};
    values = keys.map((key) => (teams[key] ? teams[key].lat : null));
  }
  return {
    seq: Number(body.lastSeq || 0),
    connection: body.connection || "",
    stale: body.stale === "true",
    lastHeartbeat: (window.__drill || {}).lastHeartbeat || 0,
    lastOpen: (window.__drill || {}).lastOpen || 0,
    sockets: (window.__drill || {}).sockets || 0,
    values,
  };
}
"""


class Screen:
    def __init__(self, name: str, kind: str, page, url: str, keys: list[str]) -> None:
        self.name, self.kind, self.page, self.url, self.keys = name, kind, page, url, keys

    def read(self) -> dict:
        try:
            return self.page.evaluate(READ, [self.kind, self.keys])
        except Exception as error:  # a page navigating or crashed
            return {"seq": 0, "connection": f"unreadable ({type(error).__name__})",
                    "stale": True, "lastHeartbeat": 0, "lastOpen": 0, "sockets": 0, "values": []}  # fmt: skip

    def open(self) -> None:
        self.page.goto(self.url, wait_until="load", timeout=90000)
        # A selector, not wait_for_function: the pages' CSP forbids evaluating strings.
        self.page.wait_for_selector("body[data-connection=live]", state="attached", timeout=90000)


class Room:
    """The browser and its five screens."""

    def __init__(self, playwright, bases: list[str], password: str, probes: dict, answers):
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.screens: list[Screen] = []
        self.answers = answers
        walls = ["main", "traffic-markets", "room-left", "room-right"]
        contexts = {}
        for n, slug in enumerate(walls):
            base = bases[n % len(bases)]
            page = self.page(contexts, "wall", base, password)
            keys = [str(key) for key in probes["devices"]]
            self.screens.append(Screen(f"wall {slug}", "wall", page, f"{base}/wall/{slug}/", keys))
        page = self.page(contexts, "dispatcher", bases[0], password)
        self.screens.append(
            Screen("dispatch desk", "desk", page, f"{bases[0]}/dispatch/", [str(probes["team"])])
        )
        for screen in self.screens:
            screen.open()

    def page(self, contexts: dict, username: str, base: str, password: str):
        if (username, base) not in contexts:
            context = self.browser.new_context(viewport={"width": 1280, "height": 720})
            login = context.new_page()
            login.goto(f"{base}/accounts/login/")
            login.fill("#id_username", username)
            login.fill("#id_password", password)
            login.click("button[type=submit]")
            # Each role lands on its own desk: logged in once the login page is left.
            login.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=60000)
            login.close()
            context.add_init_script(SOCKET_PROBE)
            contexts[(username, base)] = context
        page = contexts[(username, base)].new_page()
        page.on("response", lambda r: self.answers.record(r.request.method, r.url, r.status))
        return page

    def read(self) -> list[dict]:
        return [screen.read() for screen in self.screens]

    @staticmethod
    def caught_up(seen: dict, target_seq: int, since_ms: float) -> bool:
        """Live, caught up to `target_seq`, and a heartbeat heard since `since_ms` on the
        socket it has now (a moved screen's old socket proves nothing of the new one)."""
        return (
            seen["seq"] >= target_seq
            and seen["connection"] == "live"
            and seen["lastHeartbeat"] >= max(since_ms, seen.get("lastOpen", 0))
        )

    def behind(self, target_seq: int, since_ms: float) -> list[str]:
        """Screens not yet live and caught up to `target_seq` with a heartbeat since."""
        return [
            screen.name
            for screen, seen in zip(self.screens, self.read(), strict=True)
            if not self.caught_up(seen, target_seq, since_ms)
        ]

    def wait_caught_up(self, target_seq: int, since_ms: float, bound: float) -> float | None:
        """Seconds until every screen is live and caught up, or None after `bound`."""
        times = self.wait_each(target_seq, since_ms, bound)
        return None if None in times else max(times, default=0.0)

    def wait_each(self, target_seq: int, since_ms: float, bound: float) -> list[float | None]:
        """Per screen, seconds until it is live and caught up (and stays so until every
        screen is), None for a screen that was not within `bound`."""
        started = time.monotonic()
        settled: list[float | None] = [None] * len(self.screens)
        while time.monotonic() - started < bound:
            now = time.monotonic() - started
            for n, seen in enumerate(self.read()):
                ok = self.caught_up(seen, target_seq, since_ms)
                settled[n] = (settled[n] if settled[n] is not None else now) if ok else None
            if None not in settled:
                break
            self.screens[0].page.wait_for_timeout(250)  # lets Playwright deliver page events
        return settled

    def drop_all(self) -> None:
        """Every screen's socket closed as a network failure would: each reconnects through
        the one address (which sends it to the daphne with the fewest connections)."""
        for screen in self.screens:
            screen.page.evaluate("() => (window.ondijonWall || window.ondijonDispatch).drop()")

    def sockets(self) -> list[int]:
        """How many sockets each screen has opened so far."""
        return [seen["sockets"] for seen in self.read()]

    def describe(self) -> str:
        return "; ".join(
            f"{screen.name}: seq {seen['seq']}, {seen['connection']}"
            f"{', stale' if seen['stale'] else ''}, sockets opened {seen['sockets']}"
            for screen, seen in zip(self.screens, self.read(), strict=True)
        )

    def reload_all(self) -> None:
        """The manual step: someone reloads every screen."""
        for screen in self.screens:
            try:
                screen.open()
            except Exception as error:
                print(f"  {screen.name} did not come back after a reload: {error}", flush=True)

    def close(self) -> None:
        self.browser.close()

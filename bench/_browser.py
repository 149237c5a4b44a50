"""What the browser benchmarks share: how Chromium is launched, when a change counts as on
the screen, and how long main-thread tasks are reported."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Installed before the page's own scripts (page.add_init_script).
#
# window.__afterPaint(callback): calls back with the wall-clock time (Date.now(), the clock
# Python's time.time() reads) once the changes made so far are on the screen. The wall draws
# in a requestAnimationFrame callback it queues when it applies a frame; a callback queued
# after that one runs in the same animation frame, after the wall's drawing; the frame is then
# painted, and a second requestAnimationFrame runs at the start of the next frame, after the
# paint, when the screen shows it. A time taken in the WebSocket callback, before any of
# this, would leave out the drawing.
#
# window.__longTasks: [start (epoch ms), duration (ms)] of every main-thread task over 50 ms
# the browser reported (PerformanceObserver "longtask": it reports nothing shorter).
PAGE_PROBES = """
window.__afterPaint = (callback) =>
  requestAnimationFrame(() => requestAnimationFrame(() => callback(Date.now())));
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__longTasks.push([performance.timeOrigin + entry.startTime, entry.duration]);
  }
}).observe({ type: "longtask", buffered: true });
// Animation frames/s the page ran between window.__countFrames() and window.__framesPerSecond():
// how often the screen could show a change.
window.__countFrames = () => {
  const counter = { frames: 0, since: performance.now(), on: true };
  const tick = () => { counter.frames++; if (counter.on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.__frameCounter = counter;
};
window.__framesPerSecond = () => {
  const counter = window.__frameCounter;
  counter.on = false;
  return counter.frames / ((performance.now() - counter.since) / 1000);
};
// Time to interactive on the screen: the wall marks itself ready (body[data-ready]) right
// after its first drawing, before that drawing is painted.
window.__readyPaintedMs = null;
new MutationObserver((changes, observer) => {
  if (document.body.dataset.ready !== "true") return;
  observer.disconnect();
  window.__afterPaint(() => { window.__readyPaintedMs = performance.now(); });
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
"""


def long_tasks_text(durations: list[float]) -> str:
    """The browser reports only tasks over 50 ms: none reported is said as such, never as
    a longest task of 0 ms."""
    if not durations:
        return "no long task over 50 ms"
    return f"{len(durations)} long tasks over 50 ms, longest {max(durations):.0f} ms"


def long_tasks_since(page, since_ms: float) -> list[float]:
    """Durations of the long tasks that started at or after `since_ms` (epoch ms)."""
    return [duration for at, duration in page.evaluate("window.__longTasks") if at >= since_ms]


def ready_to_draw(page) -> float:
    """Bring the measured page to the front and return its animation frames/s over a second.

    Headless Chromium may draw a page that is not the front one of its browser at a few
    frames a second while it still says `document.visibilityState == "visible"` (seen with
    the wall: 1-4 frames/s under load once a second page was opened, 54 once brought to the
    front): every painted time would then wait for one of those rare frames.
    """
    page.bring_to_front()
    rate = page.evaluate(
        "() => new Promise((done) => { window.__countFrames();"
        " setTimeout(() => done(window.__framesPerSecond()), 1000); })"
    )
    if rate < 10:
        raise RuntimeError(
            f"the measured page draws {rate:.0f} frames/s: it would not show changes"
        )
    return rate

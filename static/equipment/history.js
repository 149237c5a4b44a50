// A device's recent metrics, one small line chart per metric, drawn on canvases.
(function () {
  "use strict";
  const root = document.getElementById("history");
  if (!root) return;
  const charts = root.querySelector("[data-charts]");
  const select = root.querySelector("select[name=hours]");

  function draw(canvas, points) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    const pad = { left: 48, right: 8, top: 8, bottom: 22 };
    const times = points.map((p) => Date.parse(p[0]));
    const values = points.map((p) => p[1]);
    const t0 = Math.min(...times), t1 = Math.max(...times);
    let v0 = Math.min(...values), v1 = Math.max(...values);
    if (v0 === v1) { v0 -= 1; v1 += 1; }
    const x = (t) => pad.left + ((t - t0) / Math.max(t1 - t0, 1)) * (width - pad.left - pad.right);
    const y = (v) => height - pad.bottom - ((v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
    ctx.strokeStyle = "rgba(255,255,255,0.2)";
    ctx.fillStyle = "rgba(255,255,255,0.7)";
    ctx.font = "11px sans-serif";
    [v0, (v0 + v1) / 2, v1].forEach((v) => {
      ctx.beginPath(); ctx.moveTo(pad.left, y(v)); ctx.lineTo(width - pad.right, y(v)); ctx.stroke();
      ctx.fillText(String(Math.round(v * 100) / 100), 4, y(v) + 4);
    });
    [t0, t1].forEach((t, i) => {
      const label = new Date(t).toLocaleTimeString(document.documentElement.lang, { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" });
      ctx.fillText(label, i ? width - pad.right - 34 : pad.left, height - 6);
    });
    ctx.strokeStyle = "#4fc3f7";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    points.forEach((p, i) => {
      const px = x(times[i]), py = y(values[i]);
      if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    });
    ctx.stroke();
  }

  async function load() {
    const response = await fetch(`${root.dataset.url}?hours=${select.value}`, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    const data = await response.json();
    charts.replaceChildren();
    const names = Object.keys(data.series || {}).sort();
    if (!names.length) {
      const empty = document.createElement("p");
      empty.textContent = root.dataset.empty;
      charts.append(empty);
    }
    names.forEach((name) => {
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = `${name} (${data.series[name].length})`;
      const canvas = document.createElement("canvas");
      canvas.dataset.metric = name;
      figure.append(caption, canvas);
      charts.append(figure);
      draw(canvas, data.series[name]);
    });
    root.dataset.loaded = "true";
  }

  select.addEventListener("change", load);
  load();
})();

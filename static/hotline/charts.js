// Bar charts of the hotline statistics, drawn as inline SVG (no library, works offline).
(function () {
  "use strict";
  const source = document.getElementById("hotline-statistics");
  if (!source) return;
  const stats = JSON.parse(source.textContent);
  const SVG = "http://www.w3.org/2000/svg";

  function node(name, attrs, text) {
    const el = document.createElementNS(SVG, name);
    Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function pick(path) { return path.split(".").reduce((obj, key) => (obj || {})[key], stats) || []; }

  function label(x) {
    const s = String(x);
    return /^\d{4}-\d{2}-\d{2}$/.test(s) ? s.slice(8) + "/" + s.slice(5, 7) : s;
  }

  function columns(rows, xKey, yKey, alt) {
    const width = 600, height = 220, bottom = 24, top = 12;
    const max = Math.max(1, ...rows.map((r) => r[yKey] || 0));
    const step = width / Math.max(1, rows.length);
    const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
    const every = Math.ceil(rows.length / 15);
    rows.forEach((row, i) => {
      const value = row[yKey] || 0;
      const h = ((height - bottom - top) * value) / max;
      const bar = node("rect", { class: alt ? "bar alt" : "bar", x: i * step + 1, y: height - bottom - h, width: Math.max(1, step - 2), height: h });
      bar.appendChild(node("title", {}, `${label(row[xKey])}: ${value}`));
      svg.appendChild(bar);
      if (i % every === 0) svg.appendChild(node("text", { x: i * step + step / 2, y: height - 8, "text-anchor": "middle" }, label(row[xKey])));
    });
    svg.appendChild(node("text", { x: 2, y: 10 }, `max ${max}`));
    return svg;
  }

  function bars(rows, xKey, yKey, alt) {
    const width = 600, row = 22, left = 230;
    const max = Math.max(1, ...rows.map((r) => r[yKey] || 0));
    const svg = node("svg", { viewBox: `0 0 ${width} ${rows.length * row + 4}`, role: "img" });
    rows.forEach((r, i) => {
      const value = r[yKey] || 0;
      const w = ((width - left - 60) * value) / max;
      svg.appendChild(node("text", { x: left - 6, y: i * row + 15, "text-anchor": "end" }, String(r[xKey]).slice(0, 40)));
      svg.appendChild(node("rect", { class: alt ? "bar alt" : "bar", x: left, y: i * row + 4, width: w, height: row - 6 }));
      svg.appendChild(node("text", { x: left + w + 4, y: i * row + 15 }, value));
    });
    return svg;
  }

  document.querySelectorAll("[data-chart]").forEach((box) => {
    const rows = pick(box.dataset.chart);
    const draw = box.hasAttribute("data-horizontal") ? bars : columns;
    const chart = draw(rows, box.dataset.x, box.dataset.y, box.hasAttribute("data-alt"));
    // A screen reader names the chart by its caption; the figures are in the tables and CSV.
    const caption = box.closest("figure") && box.closest("figure").querySelector("figcaption");
    if (caption) {
      caption.id = caption.id || `chart-caption-${box.dataset.chart.replace(/\W/g, "-")}-${box.dataset.y}`;
      chart.setAttribute("aria-labelledby", caption.id);
    }
    box.replaceChildren(chart);
  });
})();

/*
 * Colibri — petits graphiques SVG pour les indicateurs (JavaScript simple, sans bibliothèque).
 *
 * ColibriCharts.bars(conteneur, options) : barres groupées ; ColibriCharts.lines(conteneur, options) :
 * courbes (une valeur null interrompt la courbe). options : { title, labels: [..], series: [{ name,
 * values: [..], tone: 1|2|3 }], format: (v) => texte, max: borne haute facultative, integer: graduations
 * entières (des nombres de conversations, de notes…) }.
 * Tout texte passe par textContent ; les couleurs viennent de kpi.css (classes tone-1…3).
 */
(function () {
  "use strict";

  const NS = "http://www.w3.org/2000/svg";
  const WIDTH = 640;
  const HEIGHT = 250;
  const MARGIN = { top: 44, right: 14, bottom: 34, left: 58 };
  const TICKS = 4;

  function node(tag, attrs, text) {
    const element = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // The top of the axis: TICKS steps of 1, 2, 2.5 or 5 times a power of ten (no 2.5 for whole numbers).
  function niceTop(value, integer) {
    const raw = value > 0 ? value / TICKS : 0.25;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
    let step = steps.map((s) => s * power).find((s) => s >= raw) || 10 * power;
    if (integer) step = Math.max(1, Math.round(step));
    return step * TICKS;
  }

  function present(values) {
    return values.filter((v) => v !== null && v !== undefined && !Number.isNaN(v));
  }

  // The SVG, its grid, axes, labels and legend; returns what the bars or lines need.
  function frame(container, options) {
    const all = options.series.flatMap((s) => present(s.values));
    const top = options.max !== undefined ? options.max : niceTop(Math.max(0, ...all), options.integer);
    const plot = { x: MARGIN.left, y: MARGIN.top, w: WIDTH - MARGIN.left - MARGIN.right,
      h: HEIGHT - MARGIN.top - MARGIN.bottom };
    const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", focusable: "false" });
    svg.appendChild(node("title", {}, options.title || ""));
    container.replaceChildren(svg);

    const y = (value) => plot.y + plot.h - (Math.min(value, top) / top) * plot.h;
    for (let i = 0; i <= TICKS; i += 1) {
      const value = (top * i) / TICKS;
      svg.appendChild(node("line", { class: "grid", x1: plot.x, x2: plot.x + plot.w, y1: y(value), y2: y(value) }));
      svg.appendChild(node("text", { class: "tick", x: plot.x - 6, y: y(value) + 4, "text-anchor": "end" },
        options.format(value)));
    }
    svg.appendChild(node("line", { class: "axis", x1: plot.x, x2: plot.x + plot.w, y1: plot.y + plot.h,
      y2: plot.y + plot.h }));

    const count = options.labels.length;
    const slot = plot.w / Math.max(count, 1);
    const every = Math.max(1, Math.ceil(count / Math.floor(plot.w / 78)));
    options.labels.forEach((label, i) => {
      if (i % every !== 0) return;
      svg.appendChild(node("text", { class: "tick", x: plot.x + slot * (i + 0.5), y: plot.y + plot.h + 18,
        "text-anchor": "middle" }, label));
    });

    let legendX = plot.x;
    for (const series of options.series) {
      svg.appendChild(node("rect", { class: `tone-${series.tone || 1}`, x: legendX, y: 6, width: 12, height: 12, rx: 2 }));
      const text = node("text", { class: "legend", x: legendX + 17, y: 16 }, series.name);
      svg.appendChild(text);
      legendX += 34 + (text.getComputedTextLength() || series.name.length * 7.5);
    }
    if (!all.length) {
      svg.appendChild(node("text", { class: "empty", x: plot.x + plot.w / 2, y: plot.y + plot.h / 2,
        "text-anchor": "middle" }, "Aucune donnée sur la période"));
    }
    return { svg, plot, y, slot, count };
  }

  function bars(container, options) {
    const { svg, plot, y, slot, count } = frame(container, options);
    const groups = options.series.length;
    const inner = slot * 0.72;
    const width = inner / groups;
    const showValues = count * groups <= 24;
    options.series.forEach((series, s) => {
      series.values.forEach((value, i) => {
        if (value === null || value === undefined) return;
        const x = plot.x + slot * i + (slot - inner) / 2 + width * s;
        const top = y(value);
        const bar = node("rect", { class: `bar tone-${series.tone || 1}`, x: x + 1, y: top,
          width: Math.max(width - 2, 1), height: Math.max(plot.y + plot.h - top, 0) });
        bar.appendChild(node("title", {}, `${options.labels[i]} — ${series.name} : ${options.format(value)}`));
        svg.appendChild(bar);
        if (showValues) {
          svg.appendChild(node("text", { class: "value", x: x + width / 2, y: top - 4, "text-anchor": "middle" },
            options.format(value)));
        }
      });
    });
  }

  function lines(container, options) {
    const { svg, plot, y, slot, count } = frame(container, options);
    const showValues = count <= 12;
    for (const series of options.series) {
      const tone = `tone-${series.tone || 1}`;
      let path = "";
      let drawing = false;
      series.values.forEach((value, i) => {
        if (value === null || value === undefined) { drawing = false; return; }
        const x = plot.x + slot * (i + 0.5);
        path += `${drawing ? "L" : "M"}${x.toFixed(1)} ${y(value).toFixed(1)} `;
        drawing = true;
      });
      if (path) svg.appendChild(node("path", { class: `line ${tone}`, d: path.trim() }));
      series.values.forEach((value, i) => {
        if (value === null || value === undefined) return;
        const x = plot.x + slot * (i + 0.5);
        const point = node("circle", { class: `point ${tone}`, cx: x, cy: y(value), r: 4 });
        point.appendChild(node("title", {}, `${options.labels[i]} — ${series.name} : ${options.format(value)}`));
        svg.appendChild(point);
        if (showValues) {
          svg.appendChild(node("text", { class: "value", x, y: y(value) - 8, "text-anchor": "middle" },
            options.format(value)));
        }
      });
    }
  }

  window.ColibriCharts = { bars, lines };
})();

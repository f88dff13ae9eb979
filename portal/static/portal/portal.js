// The portal's few behaviours: charts drawn from the page's json_script data, and printing.
// No inline script anywhere: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // How a value reads on the chart: in full in a tooltip, compact on the axis (in Japanese
  // 240万円, in English ¥2.4M), as the tables below the chart write them.
  function formatter(chart, compact) {
    const language = chart.language || document.documentElement.lang || "en";
    const japanese = language.startsWith("ja");
    const notation = compact ? { notation: "compact", maximumFractionDigits: 1 } : {};
    if (chart.unit === "multiple") {
      const times = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });
      return (value) => times.format(value) + (japanese ? "倍" : "×");
    }
    if (chart.unit === "ratio") {
      const percent = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });
      return (value) => percent.format(value * 100) + "%";
    }
    if (chart.unit === "money") {
      const currency = chart.currency || "JPY";
      if (japanese && currency === "JPY") {
        const yen = new Intl.NumberFormat("ja-JP", compact ? notation : { maximumFractionDigits: 0 });
        return (value) => yen.format(value) + "円";
      }
      const money = new Intl.NumberFormat(language, {
        style: "currency", currency: currency, maximumFractionDigits: compact ? 1 : 0, ...notation,
      });
      return (value) => money.format(value);
    }
    const plain = new Intl.NumberFormat(language, { maximumFractionDigits: 1, ...notation });
    return (value) => plain.format(value);
  }

  function kpiChart(canvas) {
    const chart = data("kpi-chart-data");
    if (!chart || !window.Chart) return;
    const names = canvas.dataset;
    const format = formatter(chart, false);
    const axis = formatter(chart, true);
    const milestones = chart.milestones.map((point) => {
      const values = new Array(chart.labels.length).fill(null);
      values[point.x] = point.y;
      return { values: values, label: point.label };
    });
    const datasets = [
      { label: names.nameActual, data: chart.actual, borderColor: "#1f5fbf",
        backgroundColor: "#1f5fbf", borderWidth: 3, pointRadius: 3, spanGaps: false },
      { label: names.nameMust, data: chart.must, borderColor: "#3d4852", borderDash: [6, 4],
        borderWidth: 2, pointRadius: 0 },
      { label: names.nameStretch, data: chart.stretch, borderColor: "#2e7d32",
        borderDash: [2, 3], borderWidth: 2, pointRadius: 0 },
      { label: names.nameForecast, data: chart.forecast, borderColor: "#b26a00",
        borderDash: [8, 5], borderWidth: 2, pointRadius: 3, spanGaps: true },
    ];
    milestones.forEach((marker) => datasets.push({
      label: names.nameMilestone + ": " + marker.label, data: marker.values, showLine: false,
      pointStyle: "triangle", pointRadius: 9, borderColor: "#c62828",
      backgroundColor: "#c62828",
    }));
    new window.Chart(canvas, {
      type: "line",
      data: { labels: chart.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { ticks: { callback: (value) => axis(value) } } },
        plugins: {
          tooltip: {
            filter: (item) => item.raw !== null,
            callbacks: { label: (item) => item.dataset.label + ": " + format(item.raw) },
          },
          legend: { position: "bottom" },
        },
      },
    });
  }

  function sectionChart(canvas) {
    const chart = data("section-chart-data");
    if (!chart || !window.Chart) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [{ label: canvas.dataset.nameScore, data: chart.scores,
          backgroundColor: "#1f5fbf" }],
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { min: 0, max: 100 } }, plugins: { legend: { display: false } },
      },
    });
  }

  function attainmentChart(canvas) {
    const chart = data("attainment-chart-data");
    if (!chart || !window.Chart) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [{ label: canvas.dataset.nameAttainment, data: chart.attainment,
          backgroundColor: chart.attainment.map((value) =>
            value === null ? "#9aa5b1" : value >= 100 ? "#2e7d32" : value >= 90 ? "#b26a00" : "#c62828") }],
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { min: 0, suggestedMax: 120, ticks: { callback: (value) => value + "%" } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  // The what-if panel: a driver's slider (its change against now, in %) and its value field
  // move together; htmx sends the form (the values) and shows the outcome.
  function lever(fieldset) {
    const base = Number(fieldset.dataset.base);
    const slider = fieldset.querySelector("[data-lever-slider]");
    const value = fieldset.querySelector("[data-lever-value]");
    const shown = fieldset.querySelector("[data-lever-change]");
    const decimals = fieldset.dataset.unit === "money" ? 0 : 2;
    const label = (percent) => { shown.textContent = (percent > 0 ? "+" : "") + percent + "%"; };
    slider.addEventListener("input", () => {
      const percent = Number(slider.value);
      value.value = String(Number((base * (1 + percent / 100)).toFixed(decimals)));
      label(percent);
    });
    value.addEventListener("input", () => {
      const typed = Number(value.value.replace(/,/g, ""));
      if (value.value.trim() === "" || !Number.isFinite(typed) || base === 0) return;
      const percent = Math.round((typed / base - 1) * 100);
      slider.value = String(percent);
      label(percent);
    });
  }

  function start() {
    document.querySelectorAll("[data-lever]").forEach(lever);
    document.querySelectorAll("canvas[data-chart='kpi']").forEach(kpiChart);
    document.querySelectorAll("canvas[data-chart='sections']").forEach(sectionChart);
    document.querySelectorAll("canvas[data-chart='attainment']").forEach(attainmentChart);
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

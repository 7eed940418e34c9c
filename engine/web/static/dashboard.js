// Draws every <canvas data-chart="…"> with Chart.js (vendored: chart.umd.min.js); a click drills down.
// The canvas box has a fixed aspect ratio in the style sheet (no layout shift while drawing); ratios and
// changes (unit "ratio" / "change": fractions) are labelled as percentages on the axis and in tooltips.
(function () {
  var colours = ["#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#57606a"];
  var PERCENT = { ratio: true, change: true };
  function percent(v) {
    return v === null || v === undefined ? "" : (Math.round(v * 1000) / 10) + "%";
  }
  function draw(canvas) {
    var spec = JSON.parse(canvas.dataset.chart);
    var names = spec.names || [];
    var asPercent = PERCENT[spec.unit] === true;
    var datasets = spec.datasets.map(function (d, i) {
      var isTarget = d[0] === "target";
      return {
        label: names[i] || d[0], data: d[1], spanGaps: true,
        borderColor: isTarget ? "#9a6700" : colours[i % colours.length],
        backgroundColor: isTarget ? "rgba(0,0,0,0)" : colours[i % colours.length],
        borderDash: isTarget ? [4, 4] : [], pointRadius: isTarget ? 0 : 2, type: isTarget ? "line" : undefined
      };
    });
    var y = { ticks: {} };
    if (asPercent) { y.ticks.callback = function (v) { return percent(v); }; }
    new Chart(canvas, {
      type: spec.kind === "bar" ? "bar" : "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: y },
        plugins: {
          legend: { display: datasets.length > 1, labels: { boxWidth: 12 } },
          tooltip: asPercent ? { callbacks: { label: function (c) { return c.dataset.label + ": " + percent(c.parsed.y); } } } : {}
        },
        onClick: function () { if (spec.link) { window.location.href = spec.link; } }
      }
    });
    canvas.dataset.drawn = "1";
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();

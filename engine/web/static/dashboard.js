// Draws every <canvas data-chart="…"> with Chart.js (vendored: chart.umd.min.js); a click drills down.
(function () {
  var colours = ["#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#57606a"];
  function draw(canvas) {
    var spec = JSON.parse(canvas.dataset.chart);
    var datasets = spec.datasets.map(function (d, i) {
      var isTarget = d[0] === "target";
      return {
        label: d[0], data: d[1], spanGaps: true, borderColor: isTarget ? "#9a6700" : colours[i % colours.length],
        backgroundColor: isTarget ? "rgba(0,0,0,0)" : colours[i % colours.length],
        borderDash: isTarget ? [4, 4] : [], pointRadius: isTarget ? 0 : 2, type: isTarget ? "line" : undefined
      };
    });
    new Chart(canvas, {
      type: spec.kind === "bar" ? "bar" : "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1 } },
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

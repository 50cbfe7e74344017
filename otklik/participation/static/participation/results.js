// Poll results as bar charts (Chart.js from npm, the same copy the reports dashboard uses). Each
// chart's data sits in the JSON script right after its canvas.
(function () {
  "use strict";
  if (!window.Chart) { return; }
  document.querySelectorAll("canvas.poll-chart").forEach(function (canvas) {
    var data = JSON.parse(canvas.nextElementSibling.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: data.title, data: data.values, backgroundColor: "#0b5cad" }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });
})();

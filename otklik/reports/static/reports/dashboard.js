// The dashboard's charts (Chart.js 4 from npm, served as static/chartjs/). Every chart has its table
// on the page, so nothing is lost without scripts.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels, green = "#1e7b34", red = "#b3261e", blue = "#0b5cad", teal = "#00838f", grey = "#9aa4b0";
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  // Long names (categories, organisations) are wrapped onto several lines instead of being cut;
  // the tooltip shows the name whole.
  function wrap(label, width) {
    var words = String(label).split(/\s+/), lines = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.length > 3 ? lines.slice(0, 2).concat([lines.slice(2).join(" ").slice(0, width - 1) + "…"]) : lines;
  }
  function fitHeight(id, rows) {
    // A horizontal bar chart grows with its rows, so that each name has room for its lines.
    var box = document.getElementById(id).parentElement;
    box.style.height = Math.max(box.clientHeight, 48 + rows * 34) + "px";
  }
  function make(id, config) {
    var el = document.getElementById(id);
    if (el) { new Chart(el, config); }
  }
  var count = {beginAtZero: true, ticks: {precision: 0}};
  function horizontal(id, rows, datasets, stacked) {
    if (!document.getElementById(id)) { return; }
    fitHeight(id, rows.labels.length);
    make(id, {type: "bar", data: {labels: rows.labels, datasets: datasets}, options: {
      indexAxis: "y",
      plugins: {legend: {display: datasets.length > 1}},
      scales: {
        x: Object.assign({stacked: stacked}, count),
        y: {stacked: stacked, ticks: {autoSkip: false, callback: function (value) {
          return wrap(this.getLabelForValue(value), 28);
        }}}
      }
    }});
  }

  make("chart-series", {type: "line", data: {labels: data.series.labels, datasets: [
    {label: L.received, data: data.series.received, borderColor: blue, backgroundColor: "rgba(11,92,173,.1)", fill: true, tension: 0},
    {label: L.answered, data: data.series.answered, borderColor: green, backgroundColor: "rgba(30,123,52,.05)", fill: false, tension: 0}
  ]}, options: {scales: {y: count}}});
  make("chart-channels", {type: "doughnut", data: {labels: data.channels.labels, datasets: [
    {data: data.channels.received, backgroundColor: [blue, green, "#a15c00", red, "#6a3fb5", teal, grey, "#c2185b"]}
  ]}, options: {plugins: {legend: {position: "right"}}}});
  horizontal("chart-categories", data.categories, [{label: L.received, data: data.categories.received, backgroundColor: blue}], false);
  horizontal("chart-territories", data.territories, [{label: L.received, data: data.territories.received, backgroundColor: teal}], false);
  horizontal("chart-organizations", data.organizations, [
    {label: L.on_time, data: data.organizations.on_time, backgroundColor: green},
    {label: L.late, data: data.organizations.late, backgroundColor: red}
  ], true);
}());

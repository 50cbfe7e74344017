// Escalation pages: the clocks count down to each report's deadline; the map shows the appeals of
// active escalations (or of one) from map.json. No inline script: the page's CSP allows only files.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (node) {
      var left = Math.round((Date.parse(node.dataset.due) - now) / 60000);
      var late = left < 0, m = Math.abs(left);
      node.textContent = (late ? node.dataset.late + " " : "") + Math.floor(m / 60) + ":" + pad(m % 60);
      node.classList.toggle("late", late);
    });
  }
  tick();
  window.setInterval(tick, 30000);

  var node = document.getElementById("escalation-map");
  if (!node || !window.L) return;
  var map = window.L.map(node).setView([Number(node.dataset.lat), Number(node.dataset.lon)],
    Number(node.dataset.zoom) || 8);
  if (node.dataset.tiles) {
    window.L.tileLayer(node.dataset.tiles, { maxZoom: 19, attribution: node.dataset.attribution }).addTo(map);
  }
  fetch(node.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = window.L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return window.L.circleMarker(latlng, { radius: 6, weight: 1, color: "#333", fillColor: "#d33", fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, marker) {
        var a = document.createElement("a");
        a.href = feature.properties.url;
        a.textContent = node.dataset.label + " " + feature.properties.escalation;
        marker.bindPopup(a);
      }
    }).addTo(map);
    if (data.features.length) map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [20, 20] });
  });
})();

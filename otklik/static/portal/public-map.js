// The public map: points of public messages from public/map.json (no personal data in it).
(function () {
  "use strict";
  var node = document.getElementById("public-map");
  if (!node || !window.L) return;
  var map = window.L.map(node, { zoomControl: false })
    .setView([Number(node.dataset.lat), Number(node.dataset.lon)], Number(node.dataset.zoom) || 11);
  window.L.control.zoom({ zoomInTitle: node.dataset.zoomIn, zoomOutTitle: node.dataset.zoomOut }).addTo(map);
  if (node.dataset.tiles) {
    window.L.tileLayer(node.dataset.tiles, { maxZoom: 19, attribution: node.dataset.attribution }).addTo(map);
  }
  fetch(node.dataset.url).then(function (r) { return r.json(); }).then(function (data) {
    var layer = window.L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return window.L.circleMarker(latlng, { radius: 7, weight: 1, color: "#333",
          fillColor: feature.properties.open ? "#d33" : "#2a2", fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, marker) {
        var p = feature.properties, box = document.createElement("div"), a = document.createElement("a");
        a.href = p.url; a.textContent = p.number; box.appendChild(a);
        box.appendChild(document.createTextNode(" · " + p.category + " · " + p.status));
        marker.bindPopup(box);
      }
    }).addTo(map);
    // The start page keeps the region's centre (data-fit="0"); the map page frames every point.
    if (data.features.length && node.dataset.fit !== "0") map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [20, 20] });
  });
})();

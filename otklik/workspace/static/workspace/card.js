// The appeal card: the map of the point (Leaflet) and the photo viewer. The card is replaced in place
// by HTMX after every action, so both are set up again after each swap. Without JavaScript the card
// shows the coordinates with a link to the map, and every photo opens full size on its own.
(function () {
  "use strict";
  function setUpMaps(root) {
    if (!window.L) return;
    root.querySelectorAll(".point-map:not([data-ready])").forEach(function (node) {
      node.setAttribute("data-ready", "1");
      node.hidden = false;
      var at = [Number(node.dataset.lat), Number(node.dataset.lon)];
      var map = window.L.map(node, { zoomControl: true, scrollWheelZoom: false }).setView(at, 16);
      if (map.zoomControl) {
        map.zoomControl.getContainer().querySelectorAll("a").forEach(function (a) {
          a.title = a.classList.contains("leaflet-control-zoom-in") ? node.dataset.zoomIn : node.dataset.zoomOut;
        });
      }
      window.L.tileLayer(node.dataset.tiles, { maxZoom: 19, attribution: node.dataset.attribution }).addTo(map);
      window.L.marker(at, { keyboard: false, title: node.dataset.label }).addTo(map);
    });
  }
  function setUpViewer(root) {
    var dialog = document.getElementById("photo-viewer");
    if (!dialog || !dialog.showModal) return;
    root.querySelectorAll("a.photo:not([data-ready])").forEach(function (link) {
      link.setAttribute("data-ready", "1");
      link.addEventListener("click", function (e) {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;  // a new tab, as the person asked
        e.preventDefault();
        var img = dialog.querySelector("img");
        img.src = link.href; img.alt = link.dataset.name || "";
        dialog.querySelector(".viewer-name").textContent = link.dataset.name || "";
        dialog.querySelector(".viewer-download").href = link.dataset.download;
        dialog.showModal();
      });
    });
    if (!dialog.dataset.ready) {
      dialog.dataset.ready = "1";
      dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
    }
  }
  function setUp(root) { setUpMaps(root); setUpViewer(root); }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSettle", function (e) { setUp(e.target || document); });
})();

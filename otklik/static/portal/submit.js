// The message form, enhanced: category search, the deadline of the chosen category, a character
// counter, a map pin, "already reported nearby", file checks before upload, and a draft kept in the
// browser so nothing typed is lost. Without this script the form works as plain HTML.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) return;
  var script = document.currentScript;
  var nearbyUrl = script ? script.getAttribute("data-nearby-url") : null;
  var i18nNode = document.getElementById("portal-i18n");
  var t = i18nNode ? JSON.parse(i18nNode.textContent) : {};
  function fmt(s, values) {
    return String(s || "").replace(/%\((\w+)\)s/g, function (_, k) { return values[k] == null ? "" : values[k]; });
  }
  function $(id) { return document.getElementById(id); }
  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
  ["category-search-empty", "files-client-error", "point-status"].forEach(function (id) { if ($(id)) $(id).hidden = true; });

  var summary = $("error-summary");
  if (summary) summary.focus();

  // --- draft kept in the browser -------------------------------------------------------------
  var DRAFT = "otklik-draft";
  var fields = ["id_category", "id_text", "id_address", "id_name", "id_email", "id_phone", "id_latitude", "id_longitude"];
  function saveDraft() {
    var data = {};
    fields.forEach(function (id) { if ($(id)) data[id] = $(id).value; });
    try { localStorage.setItem(DRAFT, JSON.stringify(data)); } catch (e) { /* private mode: no draft */ }
  }
  (function restoreDraft() {
    var raw;
    try { raw = localStorage.getItem(DRAFT); } catch (e) { return; }
    if (!raw || summary) return;  // after a server error the page already holds what was sent
    var data = JSON.parse(raw);
    fields.forEach(function (id) { if ($(id) && !$(id).value && data[id]) $(id).value = data[id]; });
  })();
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);

  // --- category search and deadline ----------------------------------------------------------
  var select = $("id_category"), search = $("category-search"), hint = $("deadline-hint");
  function showDeadline() {
    var opt = select.options[select.selectedIndex];
    if (opt && opt.value && hint) hint.textContent = opt.getAttribute("data-days-label");
  }
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase(), shown = 0, first = null;
      Array.prototype.forEach.call(select.querySelectorAll("option[value]:not([value=''])"), function (opt) {
        var hit = !q || (opt.textContent + " " + opt.getAttribute("data-keywords")).toLowerCase().indexOf(q) >= 0;
        opt.hidden = !hit; opt.disabled = !hit;
        if (hit) { shown++; if (!first) first = opt; }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
        g.hidden = !g.querySelector("option:not([hidden])");
      });
      var empty = $("category-search-empty");
      empty.hidden = shown > 0; empty.textContent = shown ? "" : t.no_match;
      if (q && shown === 1 && first) { select.value = first.value; showDeadline(); lookNearby(); saveDraft(); }
    });
  }
  select.addEventListener("change", function () { showDeadline(); lookNearby(); });
  showDeadline();

  // --- text counter ----------------------------------------------------------------------------
  var text = $("id_text"), counter = $("text-counter");
  function count() {
    counter.textContent = fmt(t.chars, { count: text.value.length, max: text.getAttribute("maxlength") });
  }
  text.addEventListener("input", count); count();

  // --- map pin -----------------------------------------------------------------------------------
  var lat = $("id_latitude"), lon = $("id_longitude"), mapNode = $("map"), marker = null, map = null;
  function showPoint() {
    var status = $("point-status");
    if (!status) return;
    if (lat.value && lon.value) {
      status.hidden = false;
      status.textContent = fmt(t.point, { lat: Number(lat.value).toFixed(5), lon: Number(lon.value).toFixed(5) }) + " ";
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "link"; remove.textContent = t.remove_point;
      remove.addEventListener("click", function () {
        lat.value = ""; lon.value = ""; if (marker) { map.removeLayer(marker); marker = null; }
        showPoint(); saveDraft(); lookNearby();
      });
      status.appendChild(remove);
    } else { status.hidden = true; status.textContent = ""; }
  }
  function place(latlng) {
    lat.value = latlng.lat.toFixed(6); lon.value = latlng.lng.toFixed(6);
    if (!marker) {
      marker = window.L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    } else { marker.setLatLng(latlng); }
    showPoint(); saveDraft(); lookNearby();
  }
  if (mapNode && window.L) {
    var center = [Number(mapNode.dataset.lat), Number(mapNode.dataset.lon)];
    if (lat.value && lon.value) center = [Number(lat.value), Number(lon.value)];
    map = window.L.map(mapNode, { zoomControl: false }).setView(center, Number(mapNode.dataset.zoom) || 12);
    window.L.control.zoom({ zoomInTitle: t.zoom_in, zoomOutTitle: t.zoom_out }).addTo(map);
    window.L.tileLayer(mapNode.dataset.tiles, { maxZoom: 19, attribution: mapNode.dataset.attribution }).addTo(map);
    map.on("click", function (e) { place(e.latlng); });
    if (lat.value && lon.value) place({ lat: Number(lat.value), lng: Number(lon.value) });
  } else if (mapNode) {
    mapNode.hidden = true;
    if ($("map-hint")) $("map-hint").hidden = true;
  }
  showPoint();

  // --- already reported nearby -----------------------------------------------------------------
  var nearby = $("nearby"), timer = null;
  function lookNearby() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!nearbyUrl || !select.value || !lat.value || !lon.value || !window.fetch) { nearby.hidden = true; return; }
      var url = nearbyUrl + "?" + new URLSearchParams({ category: select.value, lat: lat.value, lon: lon.value });
      fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { renderNearby(data.items || []); })
        .catch(function () { nearby.hidden = true; });
    }, 400);
  }
  function renderNearby(items) {
    nearby.textContent = "";
    if (!items.length) { nearby.hidden = true; return; }
    var h = document.createElement("h3"); h.textContent = t.nearby_title; nearby.appendChild(h);
    var p = document.createElement("p"); p.className = "hint"; p.textContent = t.nearby_hint; nearby.appendChild(p);
    var ul = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var strong = document.createElement("strong"); strong.textContent = item.number + " · " + item.status;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" — " + (item.address ? item.address + ", " : "") + fmt(t.meters, { m: item.distance_m })));
      var q = document.createElement("p"); q.textContent = item.text; li.appendChild(q);
      var a = document.createElement("a"); a.href = item.url + "#follow"; a.textContent = t.join; a.target = "_blank";
      a.rel = "noopener"; li.appendChild(a);
      ul.appendChild(li);
    });
    nearby.appendChild(ul); nearby.hidden = false;
  }
  lookNearby();

  // --- files checked before they are sent ------------------------------------------------------
  var files = $("id_files"), fileError = $("files-client-error");
  if (files) {
    files.addEventListener("change", function () {
      var maxMb = Number(files.dataset.maxBytes), maxFiles = Number(files.dataset.maxFiles), problems = [];
      if (files.files.length > maxFiles) problems.push(fmt(t.too_many, { n: maxFiles }));
      Array.prototype.forEach.call(files.files, function (f) {
        if (f.size > maxMb * 1024 * 1024) problems.push(fmt(t.too_big, { name: f.name, mb: maxMb }));
      });
      fileError.hidden = !problems.length; fileError.textContent = problems.join(" ");
      if (problems.length) files.value = "";  // the big file is dropped, the text stays
    });
  }

  // --- one submit only -------------------------------------------------------------------------
  form.addEventListener("submit", function () {
    var button = $("submit-button");
    setTimeout(function () { button.disabled = true; }, 0);  // after the browser has taken the form data
  });
})();

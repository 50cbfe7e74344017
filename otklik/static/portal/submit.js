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
  ["category-search-empty", "files-client-error", "point-status", "text-too-long"].forEach(function (id) { if ($(id)) $(id).hidden = true; });

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

  // --- text counter: nothing is ever cut; a text over the limit is said so before sending -----
  var text = $("id_text"), counter = $("text-counter"), tooLong = $("text-too-long");
  var maxChars = Number(text.getAttribute("data-maxlength")) || 4000;
  function count() {
    var n = text.value.length, over = n - maxChars;
    counter.textContent = over > 0 ? fmt(t.too_long, { count: n, max: maxChars, over: over })
      : fmt(t.chars, { count: n, max: maxChars });
    counter.classList.toggle("over", over > 0);
    if (over > 0) { text.setAttribute("aria-invalid", "true"); }
    else if (!document.getElementById("id_text-error")) { text.removeAttribute("aria-invalid"); }
    if (over <= 0 && tooLong) { tooLong.hidden = true; tooLong.textContent = ""; }
  }
  text.addEventListener("input", count);
  text.addEventListener("paste", function (e) {
    var pasted = e.clipboardData ? e.clipboardData.getData("text") : "";
    var after = text.value.length - (text.selectionEnd - text.selectionStart) + pasted.length;
    if (after > maxChars && tooLong) {
      tooLong.hidden = false; tooLong.textContent = fmt(t.pasted_too_long, { count: after, max: maxChars });
    }
  });
  count();

  // --- map pin -----------------------------------------------------------------------------------
  var lat = $("id_latitude"), lon = $("id_longitude"), mapNode = $("map"), marker = null, map = null;
  var pointError = $("point-error"), territory = $("id_territory"), territoryHint = $("territory-hint");
  var territoryByPoint = false;  // the municipality was chosen from the point, not by hand
  function valid(a, b) {
    var x = Number(a), y = Number(b);
    return a !== "" && b !== "" && isFinite(x) && isFinite(y) && Math.abs(x) <= 90 && Math.abs(y) <= 180;
  }
  if (!valid(lat.value, lon.value)) { lat.value = ""; lon.value = ""; }
  function showPointError(message) {
    if (!pointError) return;
    pointError.hidden = !message; pointError.textContent = message || "";
  }
  function clearPoint() {
    lat.value = ""; lon.value = ""; if (marker) { map.removeLayer(marker); marker = null; }
    showPoint(); saveDraft();
  }
  function showPoint() {
    var status = $("point-status");
    if (!status) return;
    if (lat.value && lon.value) {
      status.hidden = false;
      status.textContent = fmt(t.point, { lat: Number(lat.value).toFixed(5), lon: Number(lon.value).toFixed(5) }) + " ";
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "link"; remove.textContent = t.remove_point;
      remove.addEventListener("click", function () { clearPoint(); lookNearby(); });
      status.appendChild(remove);
    } else { status.hidden = true; status.textContent = ""; }
  }
  function place(latlng) {
    lat.value = latlng.lat.toFixed(6); lon.value = latlng.lng.toFixed(6);
    if (!marker) {
      marker = window.L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    } else { marker.setLatLng(latlng); }
    showPointError(""); showPoint(); saveDraft(); lookNearby();
  }
  if (mapNode && window.L) {
    var center = [Number(mapNode.dataset.lat), Number(mapNode.dataset.lon)];
    var zoom = Number(mapNode.dataset.zoom) || 8;
    if (lat.value && lon.value) { center = [Number(lat.value), Number(lon.value)]; zoom = Math.max(zoom, 15); }
    map = window.L.map(mapNode, { zoomControl: false }).setView(center, zoom);
    window.L.control.zoom({ zoomInTitle: t.zoom_in, zoomOutTitle: t.zoom_out }).addTo(map);
    window.L.tileLayer(mapNode.dataset.tiles, { maxZoom: 19, attribution: mapNode.dataset.attribution }).addTo(map);
    map.on("click", function (e) { place(e.latlng); });
    if (lat.value && lon.value) place({ lat: Number(lat.value), lng: Number(lon.value) });
  } else if (mapNode) {
    mapNode.hidden = true;
    if ($("map-hint")) $("map-hint").hidden = true;
  }
  showPoint();
  if (territory) territory.addEventListener("change", function () {
    territoryByPoint = false; if (territoryHint) territoryHint.textContent = "";
  });

  // --- what the point tells: inside the region, the municipality, already reported nearby ------
  var nearby = $("nearby"), timer = null;
  function lookNearby() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!nearbyUrl || !lat.value || !lon.value || !window.fetch) { nearby.hidden = true; return; }
      var query = { lat: lat.value, lon: lon.value };
      if (select.value) query.category = select.value;
      fetch(nearbyUrl + "?" + new URLSearchParams(query), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [], inside: true }; })
        .then(function (data) {
          if (data.inside === false) {
            // The pin goes, the message stays next to the map; the map itself remains usable.
            clearPoint(); showPointError(data.message || mapNode.dataset.outside); nearby.hidden = true; return;
          }
          showPointError("");
          if (territory && data.territory && (!territory.value || territoryByPoint)) {
            territory.value = String(data.territory.id); territoryByPoint = true;
            if (territoryHint) territoryHint.textContent = fmt(t.territory_found, { name: data.territory.name });
            saveDraft();
          }
          renderNearby(data.items || []);
        })
        .catch(function () { nearby.hidden = true; });
    }, 300);
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

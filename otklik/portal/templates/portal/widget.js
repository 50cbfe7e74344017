{% load i18n %}{% autoescape off %}// Otklik widget: <script src="{{ origin }}/widget.js" data-org="ID" async></script>
// data-mode="inline" puts the form in the page; otherwise a button opens it in a dialog.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = {{ origin_json }};
  var org = (script.getAttribute("data-org") || "").replace(/[^0-9]/g, "");
  var src = origin + "/submit/?embed=1" + (org ? "&org=" + org : "");
  var label = script.getAttribute("data-label") || {{ label_json }};
  function frame(height) {
    var f = document.createElement("iframe");
    f.src = src; f.title = {{ title_json }}; f.loading = "lazy";
    f.style.cssText = "width:100%;border:0;height:" + height + ";background:#fff";
    return f;
  }
  if (script.getAttribute("data-mode") === "inline") {
    script.parentNode.insertBefore(frame("1400px"), script.nextSibling);
    return;
  }
  var button = document.createElement("button");
  button.type = "button"; button.textContent = label; button.className = "otklik-widget-button";
  button.style.cssText = "padding:.6em 1.2em;border:0;border-radius:6px;background:#0b5cad;color:#fff;font:inherit;cursor:pointer";
  button.addEventListener("click", function () {
    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog"); overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", {{ title_json }});
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:2147483647;display:flex;align-items:center;justify-content:center";
    var box = document.createElement("div");
    box.style.cssText = "position:relative;width:min(720px,100%);height:min(92vh,100%);background:#fff;border-radius:8px;overflow:hidden";
    var close = document.createElement("button");
    close.type = "button"; close.textContent = "×"; close.setAttribute("aria-label", {{ close_json }});
    close.style.cssText = "position:absolute;top:4px;right:8px;font-size:28px;border:0;background:none;cursor:pointer;z-index:1";
    function shut() { document.body.removeChild(overlay); document.removeEventListener("keydown", onKey); button.focus(); }
    function onKey(e) { if (e.key === "Escape") shut(); }
    close.addEventListener("click", shut);
    overlay.addEventListener("click", function (e) { if (e.target === overlay) shut(); });
    document.addEventListener("keydown", onKey);
    box.appendChild(close); box.appendChild(frame("100%")); overlay.appendChild(box);
    document.body.appendChild(overlay); close.focus();
  });
  script.parentNode.insertBefore(button, script.nextSibling);
})();
{% endautoescape %}

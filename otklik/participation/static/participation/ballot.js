// The budget ballot's running total against the budget, and a poll's conditional questions.
// Both are conveniences: without JavaScript every question is shown and the server refuses an
// over-budget ballot with the same message.
(function () {
  "use strict";
  function rub(n) { return n.toLocaleString("ru-RU").replace(/\s/g, "\u00a0") + "\u00a0₽"; }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return values[key]; });
  }

  var ballot = document.getElementById("budget-ballot");
  if (ballot) {
    var budget = parseInt(ballot.dataset.budget, 10) || 0;
    var rule = ballot.dataset.rule;
    var max = parseInt(ballot.dataset.max, 10) || 0;
    var out = document.getElementById("running-total");
    var boxes = ballot.querySelectorAll("input[name=projects]");
    var update = function () {
      var total = 0, count = 0;
      boxes.forEach(function (box) { if (box.checked) { total += parseInt(box.dataset.cost, 10); count += 1; } });
      var text = fill(out.dataset.template, { total: rub(total), budget: rub(budget) });
      var bad = false;
      if (rule === "knapsack" && total > budget) {
        text += " — " + fill(out.dataset.over, { over: rub(total - budget) });
        bad = true;
      }
      if (rule === "choose_k" && max && count > max) {
        text += " — " + fill(out.dataset.many, { k: max });
        bad = true;
      }
      out.textContent = text;
      out.classList.toggle("over", bad);
      out.hidden = false;
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  var poll = document.getElementById("poll-form");
  if (poll) {
    var conditional = poll.querySelectorAll("fieldset[data-show-if]");
    var refresh = function () {
      conditional.forEach(function (set) {
        var chosen = Array.prototype.map.call(
          poll.querySelectorAll("input[name=" + set.dataset.showIf + "]:checked"), function (i) { return i.value; });
        var visible = chosen.indexOf(set.dataset.showValue) !== -1;
        set.hidden = !visible;
        set.querySelectorAll("input, textarea").forEach(function (input) { input.disabled = !visible; });
        var hint = set.querySelector(".condition");
        if (hint) { hint.hidden = true; }
      });
    };
    poll.addEventListener("change", refresh);
    refresh();
  }
})();

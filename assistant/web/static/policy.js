/* Highlights the quoted passage: the unit named by the fragment, through the unit named by ?through=. */
(function () {
  "use strict";

  function highlight() {
    Array.prototype.forEach.call(document.querySelectorAll(".unit.quoted"), function (unit) {
      unit.classList.remove("quoted");
    });
    var first = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!first || !first.classList.contains("unit")) return;
    var units = Array.prototype.slice.call(document.querySelectorAll(".unit"));
    var throughId = new URLSearchParams(location.search).get("through");
    var last = throughId ? document.getElementById(throughId) : null;
    var from = units.indexOf(first);
    var to = last ? units.indexOf(last) : from;
    if (to < from) to = from;
    units.slice(from, to + 1).forEach(function (unit) { unit.classList.add("quoted"); });
    first.setAttribute("tabindex", "-1");
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
  }

  window.addEventListener("hashchange", highlight);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", highlight);
  else highlight();
})();

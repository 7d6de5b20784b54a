(function () {
  "use strict";
  document.documentElement.className = "js";
  function select(tab) {
    var list = tab.parentNode;
    list.querySelectorAll('[role="tab"]').forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.tabIndex = on ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    });
  }
  document.querySelectorAll('[role="tablist"]').forEach(function (list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(tab); });
      tab.addEventListener("keydown", function (event) {
        var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (step) {
          var next = tabs[(i + step + tabs.length) % tabs.length];
          select(next);
          next.focus();
        }
      });
    });
    select(tabs[0]);
  });
  function follow() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    var tab = target && document.querySelector('[aria-controls="' + target.id + '"]');
    if (tab) { select(tab); }
  }
  window.addEventListener("hashchange", follow);
  follow();
})();

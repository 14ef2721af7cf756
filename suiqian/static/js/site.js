// Forms across the site, without inline script (the CSP allows only our own files):
// - a form marked data-warn-unsaved asks before the page is left with edits not yet sent;
// - a button marked data-print prints the page;
// - on a phone the navigation folds into a menu button.
(function () {
  "use strict";
  var dirty = new Set();

  function watch(form) {
    form.addEventListener("input", function () { dirty.add(form); });
    form.addEventListener("change", function () { dirty.add(form); });
    form.addEventListener("submit", function () { dirty.clear(); });
  }

  // A button that submits another form (form="...") sends what is on the screen too.
  document.addEventListener("submit", function () { dirty.clear(); }, true);

  window.addEventListener("beforeunload", function (event) {
    if (dirty.size === 0) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });

  function init() {
    document.querySelectorAll("form[data-warn-unsaved]").forEach(watch);
    var toggle = document.getElementById("nav-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = document.body.classList.toggle("nav-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

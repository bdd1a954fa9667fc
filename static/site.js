// The pages' one script, a small enhancement: every page works without it.
// - The header's menu button: on narrow screens the site menu folds behind it (without the
//   script the menu stays open and wraps).
// - Panels marked data-open-wide (the directory's filters) start open on wide screens and
//   folded on narrow ones.
(function () {
  "use strict";
  var button = document.getElementById("menu-button");
  var menu = document.getElementById("site-menu");
  if (button && menu) {
    document.documentElement.classList.add("has-menu-button");
    button.hidden = false;
    var set = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    };
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }
  if (window.matchMedia && window.matchMedia("(min-width: 900px)").matches) {
    var panels = document.querySelectorAll("details[data-open-wide]");
    for (var i = 0; i < panels.length; i++) {
      panels[i].open = true;
    }
  }
})();

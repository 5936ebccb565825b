// Copy detection's side-by-side view: pointing at (or tapping) a passage lights up the same
// passage on the other side and scrolls it into view. An enhancement: the numbers already pair them.
(function () {
  "use strict";
  var marks = document.querySelectorAll(".pair-view .copy-mark[data-passage]");
  function light(n, on) {
    marks.forEach(function (m) {
      if (m.getAttribute("data-passage") === n) m.classList.toggle("is-linked", on);
    });
  }
  marks.forEach(function (mark) {
    var n = mark.getAttribute("data-passage");
    mark.addEventListener("mouseenter", function () { light(n, true); });
    mark.addEventListener("mouseleave", function () { light(n, false); });
    mark.addEventListener("click", function () {
      var box = mark.closest(".pair-text");
      marks.forEach(function (other) {
        if (other.getAttribute("data-passage") === n && other.closest(".pair-text") !== box) {
          other.scrollIntoView({ block: "nearest", behavior: "smooth" });
        }
      });
      light(n, true);
      setTimeout(function () { light(n, false); }, 1500);
    });
  });
})();

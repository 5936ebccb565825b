// Small progressive enhancements; pages work without them.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-check-all]");
  if (!button) return;
  const name = button.getAttribute("data-check-all");
  const boxes = document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
  const allChecked = Array.from(boxes).every(function (b) { return b.checked; });
  boxes.forEach(function (b) { b.checked = !allChecked; });
});
document.addEventListener("submit", function (event) {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});

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
// Filter a list as the user types: <input data-filter-input="#list"> hides [data-filter-item] rows.
document.addEventListener("input", function (event) {
  const input = event.target.closest("[data-filter-input]");
  if (!input) return;
  const list = document.querySelector(input.getAttribute("data-filter-input"));
  if (!list) return;
  const needle = input.value.trim();
  list.querySelectorAll("[data-filter-item]").forEach(function (item) {
    item.hidden = needle !== "" && !item.textContent.includes(needle);
  });
});
// Add a row from a <template>: data-add-row="#template" data-add-to="#container";
// with data-formset="prefix", "__prefix__" becomes the next form index of that Django formset.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-add-row]");
  if (!button) return;
  const template = document.querySelector(button.getAttribute("data-add-row"));
  const container = document.querySelector(button.getAttribute("data-add-to"));
  if (!template || !container) return;
  let html = template.innerHTML;
  const prefix = button.getAttribute("data-formset");
  if (prefix) {
    const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    html = html.replace(/__prefix__/g, total.value);
    total.value = parseInt(total.value, 10) + 1;
  }
  container.insertAdjacentHTML("beforeend", html);
});
// "返回上一页" on the error pages: back in history, or home when the page was opened directly.
document.addEventListener("click", function (event) {
  if (!event.target.closest("[data-history-back]")) return;
  if (window.history.length > 1) window.history.back();
  else window.location.href = "/";
});

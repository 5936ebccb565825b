// Contest pages: the live 汉字 count under an essay's text, and the public page's unit picker.
// Both are enhancements: the server counts and checks again.
(function () {
  "use strict";
  var HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;

  document.querySelectorAll("[data-han-count-for]").forEach(function (out) {
    var input = document.getElementById(out.getAttribute("data-han-count-for"));
    if (!input) return;
    function update() {
      var n = (input.value.match(HAN) || []).length;
      out.textContent = n ? "共 " + n + " 个汉字" : "";
    }
    input.addEventListener("input", update);
    update();
  });

  var picker = document.getElementById("unit-picker");
  if (!picker) return;
  var url = picker.getAttribute("data-units-url");
  var search = document.getElementById("unit-search");
  var list = document.getElementById("unit-results");
  var chosen = document.getElementById("unit-chosen");
  var hidden = document.getElementById("unit-id");
  var timer = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  function render(data) {
    list.textContent = "";
    (data.units || []).forEach(function (unit) {
      var row = el("div", "list-group-item d-flex align-items-center gap-2");
      var pick = el("button", "btn btn-link text-start p-0 flex-grow-1 text-decoration-none");
      pick.type = "button";
      pick.appendChild(el("div", "", unit.name));
      if (unit.path) pick.appendChild(el("div", "small text-muted", unit.path));
      pick.addEventListener("click", function () {
        hidden.value = unit.id;
        chosen.textContent = "已选择：" + (unit.path ? unit.path + " / " : "") + unit.name;
        chosen.classList.remove("text-muted");
        list.textContent = "";
      });
      row.appendChild(pick);
      if (unit.has_children) {
        var down = el("button", "btn btn-sm btn-outline-secondary", "下级");
        down.type = "button";
        down.addEventListener("click", function () { load("parent=" + unit.id); });
        row.appendChild(down);
      }
      list.appendChild(row);
    });
    if (!(data.units || []).length) list.appendChild(el("div", "list-group-item small text-muted", "没有找到，请换个关键词，如乡镇或村名"));
  }
  function load(query) {
    fetch(url + "?" + query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function () { /* the user can retry by typing */ });
  }
  search.addEventListener("input", function () {
    window.clearTimeout(timer);
    var q = search.value.trim();
    timer = window.setTimeout(function () { load(q ? "q=" + encodeURIComponent(q) : ""); }, 250);
  });
  search.addEventListener("focus", function () { if (!list.childElementCount) load(""); });
})();

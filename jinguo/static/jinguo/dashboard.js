// Charts of the supervision board (督导看板). Data comes from the page's json_script element.
(function () {
  "use strict";
  var source = document.getElementById("board-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#c0392b", "#e67e22", "#2e86c1", "#27ae60", "#8e44ad", "#7f8c8d", "#d35400", "#16a085", "#2c3e50"];
  var charts = [];

  function narrow() { return window.innerWidth < 576; }

  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.color = palette;
    option.textStyle = { fontFamily: "system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif" };
    chart.setOption(option);
    charts.push(chart);
  }

  function empty(id, text) {
    var el = document.getElementById(id);
    if (el) { el.classList.add("board-chart-empty"); el.textContent = text; }
  }

  var grid = function () { return { left: 8, right: 8, top: 36, bottom: 8, containLabel: true }; };

  if (data.units.length) {
    // Many units (or a phone): horizontal bars, one line per unit, the chart grows to fit.
    var horizontal = data.units.length > 8 || narrow();
    var unitAxis = { type: "category", data: data.units, axisLabel: { interval: 0, fontSize: 11 } };
    if (horizontal) {
      unitAxis.inverse = true;
      document.getElementById("chart-units").style.height = Math.max(300, 60 + data.units.length * 30) + "px";
    }
    var valueAxes = [{ type: "value", name: "%", max: 100 }, { type: "value", name: "场次", splitLine: { show: false } }];
    make("chart-units", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: grid(),
      xAxis: horizontal ? valueAxes : unitAxis,
      yAxis: horizontal ? unitAxis : valueAxes,
      series: [
        { name: "签收率", type: "bar", data: data.signed_rate },
        { name: "备案率", type: "bar", data: data.approved_rate },
        horizontal
          ? { name: "活动场次", type: "bar", xAxisIndex: 1, data: data.events }
          : { name: "活动场次", type: "bar", yAxisIndex: 1, data: data.events }
      ]
    });
  } else { empty("chart-units", "暂无下级单位"); }

  if (data.days.length) {
    make("chart-daily", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: grid(),
      xAxis: { type: "category", data: data.days, axisLabel: { fontSize: 11 } },
      yAxis: [{ type: "value", name: "场次" }, { type: "value", name: "人数", splitLine: { show: false } }],
      series: [
        { name: "活动场次", type: "line", data: data.day_events },
        { name: "参加人数", type: "line", yAxisIndex: 1, data: data.day_people },
        { name: "其中妇女", type: "line", yAxisIndex: 1, data: data.day_women }
      ]
    });
  } else { empty("chart-daily", "还没有记入台账的活动"); }

  var venuesUsed = data.venues.filter(function (v) { return v.value > 0; });
  if (venuesUsed.length) {
    make("chart-venues", {
      tooltip: { trigger: "item", formatter: "{b}：{c} 场（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: narrow() ? ["30%", "60%"] : ["35%", "65%"], center: ["50%", "45%"], data: data.venues, label: { formatter: "{b}\n{c}" } }]
    });
  } else { empty("chart-venues", "还没有记入台账的活动"); }

  if (data.formats.length) {
    make("chart-formats", {
      tooltip: { trigger: "axis" },
      grid: grid(),
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.formats.map(function (f) { return f.name; }).reverse() },
      series: [{ name: "活动场次", type: "bar", data: data.formats.map(function (f) { return f.value; }).reverse() }]
    });
  } else { empty("chart-formats", "还没有记入台账的活动"); }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

// The public quiz page: identify, take the paper, submit, see the result.
// Answers live in localStorage so that a reload (or a dropped connection) loses nothing; the
// server is the clock; the submit is retried with backoff and is idempotent on the server.
(function () {
  "use strict";
  var app = document.getElementById("quiz-app");
  if (!app) return;
  var base = app.getAttribute("data-api");
  var slug = app.getAttribute("data-slug");
  var storeKey = "jinguo-quiz:" + slug;
  var LETTERS = "ABCDE";
  var state = load();
  var deviceKey = device();
  var timer = null;
  var saveTimer = null;
  var submitting = false;

  function $(id) { return document.getElementById(id); }
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  // This phone's key, random and kept for good (every quiz): a later start with the same phone
  // number must come from this device (the server keeps only its hash), unless the quiz asks for
  // an SMS code. Without localStorage (private mode) the key lasts as long as the page.
  function device() {
    var name = "jinguo-quiz-device";
    var kept = null;
    try { kept = localStorage.getItem(name); } catch (e) { /* private mode */ }
    if (kept && /^[0-9a-f]{32}$/.test(kept)) return kept;
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var made = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    try { localStorage.setItem(name, made); } catch (e) { /* private mode: this page only */ }
    return made;
  }
  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: keep in memory */ }
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function show(section) {
    ["quiz-intro", "quiz-paper", "quiz-result"].forEach(function (id) {
      $(id).classList.toggle("d-none", id !== section);
    });
    // After layout, or the browser keeps the old offset of the long paper. At once, not with
    // Bootstrap's smooth scrolling through twenty questions.
    window.requestAnimationFrame(function () { window.scrollTo({ top: 0, left: 0, behavior: "instant" }); });
  }

  function request(method, path, body) {
    var options = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (state.token) options.headers["X-Attempt-Token"] = state.token;
    return fetch(base + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "网络异常，请稍后重试");
          error.status = response.status;
          error.code = data.code;
          throw error;
        }
        return data;
      });
    });
  }

  // ---- identify ------------------------------------------------------------------------------
  var form = $("identify-form");
  var search = $("q-unit-search");
  var searchTimer = null;

  function renderUnits(data) {
    var list = $("unit-results");
    list.textContent = "";
    data.units.forEach(function (unit) {
      var row = el("div", "list-group-item d-flex align-items-center gap-2 p-0");
      var pick = el("button", "btn btn-link text-start text-decoration-none flex-grow-1 py-2 text-body");
      pick.type = "button";
      pick.appendChild(el("div", "", unit.name));
      if (unit.path) pick.appendChild(el("div", "small text-muted", unit.path));
      pick.addEventListener("click", function () {
        $("q-unit").value = unit.id;
        var label = (unit.path ? unit.path + " / " : "") + unit.name;
        $("unit-chosen").textContent = "已选择：" + label;
        $("unit-chosen").classList.remove("text-muted");
        state.unitLabel = label;
        list.textContent = "";
      });
      row.appendChild(pick);
      if (unit.has_children) {
        var down = el("button", "btn btn-sm btn-outline-secondary me-2", "下级");
        down.type = "button";
        down.addEventListener("click", function () { loadUnits("parent=" + unit.id); });
        row.appendChild(down);
      }
      list.appendChild(row);
    });
    if (!data.units.length) list.appendChild(el("div", "list-group-item small text-muted", "没有找到，请换个关键词，如乡镇或村名"));
  }
  function loadUnits(query) {
    request("GET", "units?" + query).then(renderUnits).catch(function () {});
  }
  if (search) {
    search.addEventListener("focus", function () { if (!search.value) loadUnits(""); });
    search.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () { loadUnits("q=" + encodeURIComponent(search.value.trim())); }, 250);
    });
  }
  var codeButton = $("send-code");
  if (codeButton) {
    codeButton.addEventListener("click", function () {
      request("POST", "code", { phone: $("q-phone").value }).then(function () {
        codeButton.disabled = true;
        codeButton.textContent = "已发送";
        setTimeout(function () { codeButton.disabled = false; codeButton.textContent = "获取验证码"; }, 60000);
      }).catch(function (error) { showError("start-error", error.message); });
    });
  }
  function showError(id, message) {
    var box = $(id);
    box.textContent = message;
    box.classList.toggle("d-none", !message);
  }
  if (form) {
    if (state.identity) {
      if ($("q-phone")) $("q-phone").value = state.identity.phone || "";
      if ($("q-name")) $("q-name").value = state.identity.name || "";
      if ($("q-unit") && state.identity.unit) {
        $("q-unit").value = state.identity.unit;
        $("unit-chosen").textContent = "已选择：" + (state.identity.unitLabel || "");
      }
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      if ($("q-phone")) {
        body = { phone: $("q-phone").value.trim(), name: $("q-name").value.trim(), unit: $("q-unit").value };
        if ($("q-code")) body.code = $("q-code").value.trim();
        body.device = deviceKey;
        if (!/^1[3-9]\d{9}$/.test(body.phone)) return showError("start-error", "请填写正确的 11 位手机号");
        if (!body.name) return showError("start-error", "请填写姓名");
        if (!body.unit) return showError("start-error", "请搜索并选择所在单位");
      }
      showError("start-error", "");
      $("start-button").disabled = true;
      request("POST", "start", body).then(function (data) {
        state = {
          identity: { phone: body.phone, name: body.name, unit: body.unit, unitLabel: state.unitLabel || (state.identity || {}).unitLabel },
          attempt: data.attempt,
          token: data.token,
          paper: data.paper,
          maxScore: data.max_score,
          deadlineMs: Date.now() + data.seconds_left * 1000,
          answers: data.answers || {},
          tabSwitches: 0,
          events: [],
          startedMs: Date.now(),
        };
        persist();
        renderPaper();
      }).catch(function (error) {
        showError("start-error", error.message);
      }).then(function () { $("start-button").disabled = false; });
    });
  }

  // ---- the paper -----------------------------------------------------------------------------
  function renderPaper() {
    var list = $("questions");
    list.textContent = "";
    state.paper.forEach(function (q) {
      var item = el("li", "card mb-3 quiz-question");
      item.setAttribute("data-testid", "question-" + q.n);
      var body = el("div", "card-body");
      var head = el("div", "mb-2");
      head.appendChild(el("span", "badge bg-secondary me-2", q.kind_label));
      head.appendChild(el("span", "fw-semibold", (q.n + 1) + ". " + q.stem));
      body.appendChild(head);
      var given = state.answers[String(q.n)] || "";
      q.options.forEach(function (text, i) {
        var letter = LETTERS[i];
        var id = "q" + q.n + "-" + letter;
        var wrap = el("div", "form-check quiz-option");
        var input = el("input", "form-check-input");
        input.type = q.kind === "multi" ? "checkbox" : "radio";
        input.name = "q" + q.n;
        input.id = id;
        input.value = letter;
        input.checked = given.indexOf(letter) !== -1;
        input.addEventListener("change", function () { choose(q.n); });
        var label = el("label", "form-check-label w-100", q.kind === "judge" ? text : letter + ". " + text);
        label.htmlFor = id;
        wrap.appendChild(input);
        wrap.appendChild(label);
        body.appendChild(wrap);
      });
      item.appendChild(body);
      list.appendChild(item);
    });
    show("quiz-paper");
    updateProgress();
    startClock();
  }
  function choose(n) {
    var letters = "";
    document.querySelectorAll('input[name="q' + n + '"]').forEach(function (input) {
      if (input.checked) letters += input.value;
    });
    if (letters) state.answers[String(n)] = letters; else delete state.answers[String(n)];
    persist();
    updateProgress();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveNow, 3000);
  }
  function updateProgress() {
    $("progress").textContent = "已答 " + Object.keys(state.answers).length + " / " + state.paper.length + " 题";
  }
  function saveNow() {
    if (!state.attempt || state.done) return;
    request("POST", "attempts/" + state.attempt + "/answers", {
      token: state.token, answers: state.answers, tab_switches: state.tabSwitches, events: state.events,
    }).then(function (data) {
      $("save-state").textContent = data.saved ? "已自动保存" : "";
    }).catch(function () { $("save-state").textContent = "网络不佳，答案已保存在本机"; });
  }
  function startClock() {
    clearInterval(timer);
    tick();
    timer = setInterval(tick, 1000);
  }
  function tick() {
    var left = Math.max(0, Math.round((state.deadlineMs - Date.now()) / 1000));
    var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    $("countdown").textContent = "剩余 " + text;
    $("countdown").classList.toggle("bg-danger", left < 60);
    if (left === 0) {
      clearInterval(timer);
      submit(true);
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden" || !state.attempt || state.done) return;
    state.tabSwitches = (state.tabSwitches || 0) + 1;
    state.events = (state.events || []).concat([Math.round((Date.now() - (state.startedMs || Date.now())) / 100) / 10]);
    persist();
  });

  function submit(timeUp) {
    if (submitting || state.done) return;
    var unanswered = state.paper.length - Object.keys(state.answers).length;
    if (!timeUp && unanswered > 0 && !window.confirm("还有 " + unanswered + " 题未作答，确定交卷吗？")) return;
    submitting = true;
    $("submit-button").disabled = true;
    $("submit-button").textContent = "正在交卷……";
    // full: the answer is the whole result (score, rank and the reviewed paper) in one response;
    // paper_kept: without the stems and options this page already holds (renderResult adds them).
    var body = { token: state.token, answers: state.answers, tab_switches: state.tabSwitches, events: state.events, full: true, paper_kept: true };
    var attempt = 0;
    (function go() {
      request("POST", "attempts/" + state.attempt + "/submit", body).then(function (data) {
        submitting = false;
        state.done = true;
        persist();
        if (data.review) {
          renderResult(data);
        } else {
          loadResult(data);
        }
      }).catch(function (error) {
        var retry = !error.status || error.status >= 500 || error.status === 429;
        if (retry && attempt < 8) {
          attempt += 1;
          var wait = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) + Math.random() * 500;
          showError("submit-error", "网络不佳，正在重试交卷（第 " + attempt + " 次）……答案已保存在本机。");
          setTimeout(go, wait);
          return;
        }
        submitting = false;
        $("submit-button").disabled = false;
        $("submit-button").textContent = "交卷";
        showError("submit-error", error.message + (retry ? "。请检查网络后再点“交卷”，答案不会丢失。" : ""));
      });
    })();
  }
  $("submit-button").addEventListener("click", function () { submit(false); });

  // ---- the result ----------------------------------------------------------------------------
  function loadResult(lean, tries) {
    tries = tries || 0;
    request("GET", "attempts/" + state.attempt + "/result").then(renderResult).catch(function () {
      if (tries < 5) {
        setTimeout(function () { loadResult(lean, tries + 1); }, 1000 * Math.pow(2, tries));
        return;
      }
      showError("submit-error", "已交卷：" + lean.score + " 分" + (lean.rank ? "，排名第 " + lean.rank + " 名" : "") + "，用时 " + lean.time_used + "。答题详情加载失败，请稍后刷新页面查看。");
    });
  }

  function renderResult(data) {
    clearInterval(timer);
    var box = $("quiz-result");
    box.textContent = "";
    var card = el("div", "card mb-3 text-center");
    var body = el("div", "card-body");
    body.appendChild(el("div", "small text-muted", data.status_label));
    var score = el("div", "quiz-score", data.score + " 分");
    score.setAttribute("data-testid", "result-score");
    body.appendChild(score);
    // Each figure on one line of its own if the phone must wrap ("用时 0分00秒" never split).
    var figures = el("div", "");
    ["满分 " + data.max_score + " 分", "答对 " + data.correct + " / " + data.total + " 题", "用时 " + data.time_used].forEach(function (text, i) {
      if (i) figures.appendChild(document.createTextNode(" · "));
      figures.appendChild(el("span", "text-nowrap", text));
    });
    body.appendChild(figures);
    var rank = el("div", "fs-5 mt-2");
    if (data.rank) {
      rank.appendChild(document.createTextNode("您的最好成绩 " + data.best_score + " 分，"));
      rank.appendChild(el("span", "text-nowrap", "排名第 " + data.rank + " 名"));
      rank.appendChild(el("span", "text-nowrap", "（共 " + data.participants + " 人）"));
    }
    rank.setAttribute("data-testid", "result-rank");
    body.appendChild(rank);
    body.appendChild(el("div", "small text-muted mt-1", "每人以最好的一次成绩参加排名；得分高者在前，得分相同用时少者在前，再相同则先交卷者在前。"));
    var actions = el("div", "d-flex gap-2 justify-content-center mt-3");
    var boardLink = el("a", "btn btn-outline-secondary", "排行榜");
    boardLink.href = base + "board/";
    actions.appendChild(boardLink);
    if (data.may_retry) {  // the server knows both limits: in all and per day
      var again = el("button", "btn btn-jinguo", "再答一次");
      again.type = "button";
      again.addEventListener("click", function () {
        state = { identity: state.identity };
        persist();
        window.location.reload();
      });
      actions.appendChild(again);
    }
    body.appendChild(actions);
    card.appendChild(body);
    box.appendChild(card);
    box.appendChild(el("h2", "h6", "答题详情"));
    var kept = {};
    (state.paper || []).forEach(function (p) { kept[p.n] = p; });
    data.review.forEach(function (q) {
      if (q.stem === undefined && kept[q.n]) {
        q.kind = kept[q.n].kind;
        q.stem = kept[q.n].stem;
        q.options = kept[q.n].options;
      }
      var item = el("div", "card mb-2 " + (q.correct ? "border-success" : "border-danger"));
      var inner = el("div", "card-body");
      inner.appendChild(el("div", "fw-semibold", (q.n + 1) + ". " + q.stem));
      q.options.forEach(function (text, i) {
        var letter = LETTERS[i];
        var cls = "small" + (q.answer.indexOf(letter) !== -1 ? " text-success fw-semibold" : "") + (q.given.indexOf(letter) !== -1 && q.answer.indexOf(letter) === -1 ? " text-danger" : "");
        inner.appendChild(el("div", cls, (q.kind === "judge" ? "" : letter + ". ") + text));
      });
      var your = q.kind === "judge" ? (q.given ? q.options[LETTERS.indexOf(q.given)] : "未作答") : (q.given || "未作答");
      inner.appendChild(el("div", "small mt-1", (q.correct ? "✓ 回答正确" : "✗ 您的答案：" + your) + "　正确答案：" + q.answer_text));
      if (q.explanation) inner.appendChild(el("div", "small text-muted mt-1", "解析：" + q.explanation));
      if (q.source || q.basis) inner.appendChild(el("div", "small text-muted quiz-basis mt-1", (q.source ? q.source + "：" : "") + (q.basis || "")));
      item.appendChild(inner);
      box.appendChild(item);
    });
    show("quiz-result");
  }

  // ---- resume after a reload ------------------------------------------------------------------
  if (state.attempt && state.done) {
    request("GET", "attempts/" + state.attempt + "/result").then(renderResult).catch(function () {
      state = { identity: state.identity };
      persist();
    });
  } else if (state.attempt && state.paper) {
    if (Date.now() > state.deadlineMs) {
      submit(true);
    } else {
      renderPaper();
    }
  }
})();

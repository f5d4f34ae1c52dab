// The touch kiosk of an office. Talks to GET /kiosk/<office>/status.json and the public ticket API.
// Screens: start → categories → services → ticket; start → code (booking | case) → ticket;
// closed (outside reception, paused); an offline overlay that goes away by itself.
(function () {
  "use strict";

  var body = document.body;
  var OFFICE = body.dataset.office;
  var IDLE_MS = Math.max(2, parseInt(body.dataset.idle, 10) || 30) * 1000;
  var LANG = body.dataset.lang || "uk";
  var KIOSK = body.dataset.kiosk || "";
  var PRINT_MODE = body.dataset.printMode || "browser";
  var STATUS_URL = body.dataset.statusUrl;
  var ISSUE_URL = body.dataset.issueUrl;
  var TICKET_URL = body.dataset.ticketUrl;
  var S = JSON.parse(document.getElementById("k-strings").textContent);

  var STATUS_EVERY_MS = 30000, OFFLINE_RETRY_MS = 5000, FETCH_TIMEOUT_MS = 10000;

  var state = {
    screen: "start", status: null, category: null, codeMode: null, code: "",
    ticket: null, busy: false, lastActivity: Date.now(), offline: false,
  };

  function $(id) { return document.getElementById(id); }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // ---------------------------------------------------------------- language
  // The API's messages follow the same cookie (the app's locale selector: ?lang=, then cookie `lang`).
  document.cookie = "lang=" + LANG + "; path=/; max-age=31536000; SameSite=Lax";

  function switchLanguage(lang) {
    document.cookie = "lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
    var params = new URLSearchParams(window.location.search);
    params.delete("lang");
    var q = params.toString();
    window.location.replace(window.location.pathname + (q ? "?" + q : ""));
  }
  Array.prototype.forEach.call(document.querySelectorAll(".k-lang-btn"), function (b) {
    b.addEventListener("click", function () { if (b.dataset.lang !== LANG) switchLanguage(b.dataset.lang); });
  });

  // ---------------------------------------------------------------- network
  function fetchJson(url, options) {
    options = options || {};
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, FETCH_TIMEOUT_MS) : null;
    var init = { method: options.method || "GET", credentials: "same-origin", cache: "no-store",
                 headers: { "Accept": "application/json" } };
    if (ctrl) init.signal = ctrl.signal;
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (r) {
      if (timer) clearTimeout(timer);
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        // A proxy's HTML error page or a 5xx is "the server cannot be reached" for the citizen.
        if (r.status >= 500 && r.status !== 502) { var err = new Error("server " + r.status); err.network = true; throw err; }
        return { status: r.status, data: data };
      });
    }, function (e) {
      if (timer) clearTimeout(timer);
      var err = new Error("network: " + e); err.network = true; throw err;
    });
  }

  function setOffline(offline) {
    if (state.offline === offline) return;
    state.offline = offline;
    $("k-offline").hidden = !offline;
    if (!offline && state.offlineMessage && state.screen === "message") goStart();  // recovered alone
    if (!offline) state.offlineMessage = false;
    body.classList.toggle("is-offline", offline);
    if (offline) setTimeout(refreshStatus, OFFLINE_RETRY_MS);
  }

  var statusTimer = null;
  function refreshStatus() {
    clearTimeout(statusTimer);
    return fetchJson(STATUS_URL).then(function (r) {
      if (r.status !== 200 || !r.data) throw Object.assign(new Error("status " + r.status), { network: true });
      setOffline(false);
      state.status = r.data;
      state.statusAt = Date.now();
      applyStatus();
      statusTimer = setTimeout(refreshStatus, STATUS_EVERY_MS);
    }).catch(function () {
      setOffline(true);
      statusTimer = setTimeout(refreshStatus, OFFLINE_RETRY_MS);
    });
  }

  // ---------------------------------------------------------------- screens
  var SCREENS = ["start", "categories", "services", "code", "ticket", "message", "closed", "busy"];

  function show(name, focusId) {
    state.screen = name;
    SCREENS.forEach(function (s) { $("screen-" + s).hidden = s !== name; });
    body.dataset.screen = name;
    var target = focusId ? $(focusId) : $("screen-" + name).querySelector("h1");
    if (target) { try { target.focus({ preventScroll: true }); } catch (e) { target.focus(); } }
  }

  function goStart() {
    state.category = null; state.code = ""; state.codeMode = null; state.ticket = null;
    if (state.status && !state.status.open) { showClosed(); return; }
    show("start");
  }

  function showClosed() {
    var st = state.status;
    $("closed-title").textContent = st.headline;
    $("closed-detail").textContent = st.detail || "";
    $("closed-detail").hidden = !st.detail;
    $("closed-next").textContent = st.next_opening_text || "";
    $("closed-next").hidden = !st.next_opening_text;
    show("closed");
  }

  function applyStatus() {
    var st = state.status;
    $("k-office-name").textContent = st.office.name;
    var hours = st.reception_today.map(function (p) { return p[0] + "–" + p[1]; }).join(", ");
    $("k-hours").textContent = hours ? fmt(S.hours_today, { hours: hours }) : "";
    tick();
    $("btn-walkin").disabled = !st.accepts_walk_ins || !st.categories.some(function (c) { return c.available; });
    $("walkin-sub").textContent = st.appointment_only ? S.appointment_only : S.choose_service;
    if (!st.open) {
      // Never interrupt a citizen looking at the ticket just issued.
      if (state.screen !== "ticket" && state.screen !== "busy") showClosed();
      return;
    }
    if (state.screen === "closed") show("start");
    if (state.screen === "categories") renderCategories();
    if (state.screen === "services" && state.category) renderServices(state.category);
  }

  // ---------------------------------------------------------------- categories and services
  function renderCategories() {
    var list = $("category-list");
    list.textContent = "";
    var cats = (state.status && state.status.categories) || [];
    cats.forEach(function (c) {
      var b = el("button", "k-tile");
      b.type = "button";
      b.setAttribute("role", "listitem");
      b.dataset.category = c.code;
      var letter = el("span", "k-letter", c.letter); letter.setAttribute("aria-hidden", "true");
      var name = el("span", "k-tile-name", c.name);
      b.appendChild(letter); b.appendChild(name);
      if (!c.available) {
        b.disabled = true;
        var first = c.services[0];
        name.appendChild(el("small", null, first && first.reason ? first.reason : S.service_unavailable));
      }
      b.addEventListener("click", function () { state.category = c.code; renderServices(c.code); show("services"); });
      list.appendChild(b);
    });
    $("no-services").hidden = cats.length > 0;
  }

  function serviceMeta(s) {
    var bits = [];
    if (s.last_ticket_time) bits.push(fmt(S.last_time, { time: s.last_ticket_time }));
    if (s.remaining !== null && s.remaining !== undefined) bits.push(fmt(S.remaining, { n: s.remaining }));
    return bits.join(" · ");
  }

  function renderServices(code) {
    var cat = ((state.status && state.status.categories) || []).filter(function (c) { return c.code === code; })[0];
    var list = $("service-list");
    list.textContent = "";
    if (!cat) { goStart(); return; }
    $("svc-title").textContent = cat.name;
    cat.services.forEach(function (s) {
      var b = el("button", "k-service");
      b.type = "button";
      b.setAttribute("role", "listitem");
      b.dataset.service = s.code;
      b.appendChild(el("span", "k-service-name", s.name));
      var meta = serviceMeta(s);
      if (meta) b.appendChild(el("span", "k-service-meta", meta));
      var label = s.name + (meta ? ". " + meta : "");
      if (!s.available) {
        b.disabled = true;
        b.setAttribute("aria-disabled", "true");
        b.appendChild(el("span", "k-service-reason", s.reason || S.service_unavailable));
        label += ". " + (s.reason || S.service_unavailable);
      }
      b.setAttribute("aria-label", label);
      b.addEventListener("click", function () { issue({ service: s.code }); });
      list.appendChild(b);
    });
  }

  // ---------------------------------------------------------------- code entry (booking / case)
  function openCode(mode, initial) {
    state.codeMode = mode; state.code = initial || "";
    $("code-title").textContent = mode === "booking" ? S.booking_title : S.case_title;
    $("code-hint").textContent = mode === "booking" ? S.scan_hint : S.case_hint;
    $("code-error").hidden = true;
    renderCode();
    show("code");
  }

  function renderCode() {
    var digits = document.querySelectorAll("#code-display .k-digit");
    for (var i = 0; i < digits.length; i++) {
      digits[i].textContent = state.code[i] || "";
      digits[i].classList.toggle("k-next", i === state.code.length);
    }
    $("code-display").setAttribute("aria-label", state.code.split("").join(" ") || "—");
    $("key-ok").disabled = state.code.length !== 6;
  }

  function typeDigit(d) {
    if (state.code.length >= 6) return;
    state.code += d;
    $("code-error").hidden = true;
    renderCode();
  }

  function codeError(message) {
    state.code = "";
    renderCode();
    var e = $("code-error");
    e.textContent = message;
    e.hidden = false;
  }

  function submitCode() {
    if (state.code.length !== 6) { codeError(S.code_incomplete); return; }
    var payload = state.codeMode === "case" ? { case_code: state.code } : { booking_code: state.code };
    issue(payload);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".k-key[data-digit]"), function (b) {
    b.addEventListener("click", function () { typeDigit(b.dataset.digit); });
  });
  $("key-del").addEventListener("click", function () { state.code = state.code.slice(0, -1); renderCode(); });
  $("key-ok").addEventListener("click", submitCode);

  // ---------------------------------------------------------------- issuing
  var CODE_ERRORS = { unknown_booking: 1, unknown_case: 1, invalid_code: 1 };

  function issue(payload) {
    if (state.busy) return;
    state.busy = true;
    var from = state.screen;
    show("busy");
    fetchJson(ISSUE_URL, { method: "POST", body: payload }).then(function (r) {
      if (r.status === 201 && r.data) return showTicket(r.data);
      var err = (r.data && r.data.error) || { code: "error", message: S.error_generic };
      if (from === "code" && CODE_ERRORS[err.code]) { show("code"); codeError(err.message); return; }
      if (err.code === "office_closed" || err.code === "office_paused") {
        return refreshStatus().then(function () { message(S.error_title, err.message); });
      }
      if (err.code === "too_late_today" || err.code === "daily_cap_reached") refreshStatus();
      message(S.error_title, err.message || S.error_generic);
    }).catch(function () {
      setOffline(true);
      state.offlineMessage = true;
      message(S.offline_title, S.offline_text);
    }).then(function () { state.busy = false; touch(); });
  }

  function message(title, text) {
    $("msg-title").textContent = title;
    $("msg-text").textContent = text;
    show("message");
  }

  function aheadText(n) {
    if (n <= 0) return S.ahead_0;
    if (LANG === "uk") {
      if (n % 10 === 1 && n % 100 !== 11) return fmt(S.ahead_1, { n: n });
      if ([2, 3, 4].indexOf(n % 10) >= 0 && [12, 13, 14].indexOf(n % 100) < 0) return fmt(S.ahead_few, { n: n });
      return fmt(S.ahead_many, { n: n });
    }
    return fmt(n === 1 ? S.ahead_1 : S.ahead_many, { n: n });
  }

  function localTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return new Intl.DateTimeFormat("uk-UA", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit",
      minute: "2-digit", hour12: false, timeZone: "Europe/Kyiv" }).format(d).replace(",", "");
  }

  function showTicket(t) {
    // Everything the API returned is on screen at once; names and the QR follow from the kiosk view.
    state.ticket = t;
    $("t-number").textContent = t.number;
    $("t-service").textContent = t.service;
    $("t-office").textContent = state.status ? state.status.office.name : t.office;
    $("t-ahead").textContent = aheadText((t.position || 1) - 1);
    $("t-wait").textContent = t.estimated_wait_min ? fmt(S.wait, { n: t.estimated_wait_min }) : S.wait_0;
    $("t-issued").textContent = fmt(S.issued, { time: localTime(t.issued_at) });
    $("t-note").textContent = t.note || "";
    $("t-note").hidden = !t.note;
    var qr = $("t-qr");
    qr.textContent = "";
    var img = document.createElement("img");
    img.alt = "";
    img.src = TICKET_URL + t.id + "/qr.svg";
    qr.appendChild(img);
    $("ticket-print-status").textContent = "";
    $("ticket-print-status").classList.remove("k-bad");
    body.dataset.ticket = t.id;
    show("ticket");
    var names = fetchJson(TICKET_URL + t.id + ".json").then(function (r) {
      if (r.status !== 200 || !r.data || !state.ticket || state.ticket.id !== t.id) return;
      $("t-service").textContent = r.data.service_name;
      $("t-office").textContent = r.data.office_name;
      if (r.data.issued_text) $("t-issued").textContent = r.data.issued_text;
      if (r.data.qr_svg) qr.innerHTML = r.data.qr_svg;  // server-made SVG markup (segno), no user text in it
    }).catch(function () { /* the ticket stays on screen as the API gave it */ });
    return names.then(function () { printTicket(t); });
  }

  // ---------------------------------------------------------------- printing
  function printStatus(text, bad) {
    var p = $("ticket-print-status");
    p.textContent = text;
    p.classList.toggle("k-bad", !!bad);
  }

  function printTicket(t) {
    if (!t) return;
    if (PRINT_MODE === "escpos") {
      printStatus(S.printing);
      var url = TICKET_URL + t.id + "/print" + (KIOSK ? "?kiosk=" + encodeURIComponent(KIOSK) : "");
      return fetchJson(url, { method: "POST", body: {} }).then(function (r) {
        if (r.status === 200 && r.data && r.data.printed) printStatus(S.printed);
        else printStatus((r.data && r.data.error && r.data.error.message) || S.print_failed, true);
      }).catch(function () { printStatus(S.print_failed, true); });
    }
    // Browser printing: the printable page in a hidden frame prints itself (Chromium --kiosk-printing).
    printStatus(S.printing);
    var frame = $("print-frame");
    frame.onload = function () { if (frame.getAttribute("src")) printStatus(S.printed); };
    frame.onerror = function () { printStatus(S.print_failed, true); };
    frame.setAttribute("src", TICKET_URL + t.id + "?autoprint=1&_=" + Date.now());
  }

  $("btn-reprint").addEventListener("click", function () { printTicket(state.ticket); });

  // ---------------------------------------------------------------- buttons
  $("btn-walkin").addEventListener("click", function () { renderCategories(); show("categories"); });
  $("btn-booking").addEventListener("click", function () { openCode("booking"); });
  $("btn-case").addEventListener("click", function () { openCode("case"); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-go]"), function (b) {
    b.addEventListener("click", function () {
      var to = b.dataset.go;
      if (to === "start") goStart();
      else if (to === "categories") { renderCategories(); show("categories"); }
    });
  });

  // ---------------------------------------------------------------- keyboard and USB QR scanner
  // A scanner types like a keyboard: the code (or a URL ending in it) and then Enter, within a second.
  var scan = { buffer: "", started: 0 };
  function digitOf(e) {
    if (/^[0-9]$/.test(e.key)) return e.key;
    var m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code || "");
    return m ? m[1] : null;
  }
  document.addEventListener("keydown", function (e) {
    touch();
    if (state.busy || e.ctrlKey || e.altKey || e.metaKey) return;
    var now = Date.now();
    if (now - scan.started > 1500) { scan.buffer = ""; scan.started = now; }
    var d = digitOf(e);
    if (e.key === "Enter") {
      var scanned = /(?:^|\D)(\d{6})\/?$/.exec(scan.buffer);
      scan.buffer = "";
      if (state.screen === "code") {  // typed on the keypad's keyboard, or scanned while it is open
        e.preventDefault();
        if (scanned) { state.code = scanned[1]; renderCode(); }
        submitCode();
        return;
      }
      if (scanned && state.screen !== "closed") {  // a booking QR scanned from any other screen
        e.preventDefault();
        openCode("booking", scanned[1]);
        submitCode();
      }
      return;
    }
    if (e.key && e.key.length === 1) scan.buffer += d !== null ? d : e.key;
    if (state.screen === "code") {
      if (d !== null) { e.preventDefault(); typeDigit(d); }
      else if (e.key === "Backspace") { e.preventDefault(); state.code = state.code.slice(0, -1); renderCode(); }
    }
  });

  // ---------------------------------------------------------------- inactivity
  function touch() { state.lastActivity = Date.now(); }
  ["pointerdown", "touchstart", "mousedown", "wheel", "scroll"].forEach(function (ev) {
    document.addEventListener(ev, touch, { passive: true, capture: true });
  });
  setInterval(function () {
    if (state.busy) return;
    if (Date.now() - state.lastActivity < IDLE_MS) return;
    if (LANG !== "uk") { switchLanguage("uk"); return; }  // the next citizen starts in Ukrainian
    if (state.screen !== "start" && state.screen !== "closed") { goStart(); }
    touch();
  }, 500);

  // ---------------------------------------------------------------- clock
  function tick() {
    var now = state.status ? new Date(Date.parse(state.status.now) + (Date.now() - state.statusAt)) : new Date();
    var parts = new Intl.DateTimeFormat("uk-UA", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Kyiv", hour12: false }).format(now);
    $("k-clock").textContent = parts;
  }
  setInterval(tick, 5000);

  // A message from the print frame: the printable page has been handed to the printer.
  window.addEventListener("message", function (e) {
    if (e.origin === window.location.origin && e.data && e.data.kiosk === "printed" && state.screen === "ticket") printStatus(S.printed);
  });

  show("start");
  renderCode();
  refreshStatus();
})();

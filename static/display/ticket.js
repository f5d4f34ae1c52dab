/* The citizen's live ticket page /t/<id>.
 * Live: Socket.IO namespace /ticket, query ticket=ID, event `ticket`
 *   {id, number, status, window, position, estimated_wait_min, rev}; a message of a lower `rev` than
 *   the one shown is older news and is dropped.
 * Fallback: GET /api/v1/tickets/ID every 20 s (and once at load), whatever the socket does.
 * When the ticket gets called: «Ваша черга: вікно N» and a vibration (where the phone supports it).
 */
(function () {
  "use strict";

  var root = document.getElementById("ticket");
  if (!root) return;
  var ID = root.dataset.id;
  var API = root.dataset.api || "/api/v1/tickets/" + ID;
  var POLL_MS = 20000;
  var T = JSON.parse(document.getElementById("ticket-i18n").textContent);
  var state = JSON.parse(document.getElementById("ticket-initial").textContent);
  var baseTitle = document.title;
  var lang = document.documentElement.lang || "uk";
  var plural;
  try { plural = new Intl.PluralRules(lang); } catch (e) { plural = null; }

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    number: $("t-number"), service: $("t-service"), status: $("t-status"), position: $("t-position"),
    wait: $("t-wait"), call: $("t-call"), callWindow: $("t-call-window"), live: $("t-live"), offline: $("t-offline")
  };
  var FINAL = { done: 1, no_show: 1, cancelled: 1 };
  var lastAlert = null;  // "status|window" of the last vibration, so a poll does not buzz again

  function fill(template, n) { return String(template).replace("{n}", n); }

  function aheadText(n) {
    if (n === 0) return T.next;
    var cat = plural ? plural.select(n) : (n === 1 ? "one" : "many");
    if (cat === "one") return fill(T.ahead_one, n);
    if (cat === "few") return fill(T.ahead_few, n);
    return fill(T.ahead_many, n);
  }

  function render() {
    var s = state;
    if (s.number) els.number.textContent = s.number;
    if (s.service && typeof s.service === "string" && !/^[a-z0-9_-]+$/.test(s.service)) {
      els.service.textContent = s.service;  // the API may send a code; keep the server-rendered name then
    }
    els.status.textContent = (T.status && T.status[s.status]) || s.status || "";
    root.className = root.className.replace(/\bstatus-\S+/g, "").trim() + " status-" + s.status;

    var called = (s.status === "called" || s.status === "serving") && s.window != null;
    els.call.hidden = !called;
    if (called) els.callWindow.textContent = s.window;

    var waiting = s.status === "waiting";
    var pos = typeof s.position === "number" ? s.position : null;
    els.position.hidden = !(waiting && pos !== null);
    // `position` is the place in the queue: 1 = next to be called, so position − 1 people are ahead.
    if (waiting && pos !== null) els.position.textContent = aheadText(Math.max(0, pos - 1));
    var w = s.estimated_wait_min;
    els.wait.hidden = !(waiting && typeof w === "number");
    if (waiting && typeof w === "number") els.wait.textContent = w < 1 ? T.wait_soon : fill(T.wait, Math.round(w));

    document.title = s.status === "called" ? T.called_title + " " + (s.number || "") : baseTitle;
    if (s.status === "called") {
      var key = s.status + "|" + s.window;
      if (key !== lastAlert) {
        lastAlert = key;
        if (navigator.vibrate) { try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* ignore */ } }
      }
    } else if (s.status !== "serving") {
      lastAlert = null;
    }
  }

  function update(data) {
    if (!data || String(data.id) !== String(ID)) return;
    // A snapshot read before a change may arrive after the change's message: the revision tells.
    if (typeof data.rev === "number" && typeof state.rev === "number" && data.rev < state.rev) return;
    Object.keys(data).forEach(function (k) { if (data[k] !== undefined) state[k] = data[k]; });
    render();
    window.ticketState = state;
  }

  var pollTimer = null;
  function poll() {
    if (!window.fetch) return;
    fetch(API, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(update)
      .catch(function () {})
      .then(function () {
        clearTimeout(pollTimer);
        if (!FINAL[state.status]) pollTimer = setTimeout(poll, POLL_MS);
      });
  }

  window.ticketState = state;
  render();
  poll();

  if (typeof io !== "function") return;
  var socket = io("/ticket", { query: { ticket: ID }, transports: ["websocket", "polling"], reconnectionDelayMax: 15000 });
  socket.on("connect", function () { els.live.hidden = false; els.offline.hidden = true; poll(); });
  socket.on("disconnect", function (reason) {
    els.live.hidden = true;
    els.offline.hidden = false;
    if (reason === "io server disconnect" && !FINAL[state.status]) setTimeout(function () { socket.connect(); }, 5000);
  });
  socket.on("connect_error", function () {
    els.live.hidden = true;
    els.offline.hidden = false;
    if (!socket.active && !FINAL[state.status]) setTimeout(function () { socket.connect(); }, 10000);
  });
  socket.on("ticket", update);
  // Phones freeze background tabs: catch up as soon as the page is visible again.
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
})();

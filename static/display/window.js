/* The small display over one window: «Вікно N» and the number called there.
 * Listens on the Socket.IO namespace /board for its office (query office=CODE) and keeps only the
 * calls whose `window` is this window's number: `state` (on every connect) gives the latest one,
 * `called` replaces it (and blinks). Nothing called yet → «Вільне — очікуйте виклику».
 */
(function () {
  "use strict";

  var root = document.getElementById("window-display");
  if (!root) return;
  var OFFICE = root.dataset.office;
  var WINDOW = Number(root.dataset.window);
  var numberEl = document.getElementById("window-number");
  var idleEl = document.getElementById("window-idle");
  var offlineEl = document.getElementById("board-offline");
  var pausedEl = document.getElementById("board-paused");
  var pausedReasonEl = document.getElementById("board-paused-reason");
  var flashTimer = null, offlineTimer = null;
  var current = null;

  var windowState = window.windowState = { current: null, connected: false };

  function show(call, fresh) {
    current = call;
    windowState.current = call;
    if (call) {
      numberEl.textContent = call.number;
      numberEl.hidden = false;
      idleEl.hidden = true;
    } else {
      numberEl.hidden = true;
      idleEl.hidden = false;
    }
    if (call && fresh) {
      numberEl.classList.remove("fresh");
      void numberEl.offsetWidth;
      numberEl.classList.add("fresh");
      clearTimeout(flashTimer);
      flashTimer = setTimeout(function () { numberEl.classList.remove("fresh"); }, 5200);
    }
  }

  function mine(call) { return call && Number(call.window) === WINDOW; }

  function onState(state) {
    if (!state || (state.office && state.office !== OFFICE)) return;
    var latest = (state.calls || []).filter(mine)[0] || null;  // newest first
    var changed = latest && (!current || latest.ticket_id !== current.ticket_id || latest.called_at !== current.called_at);
    show(latest, !!changed && current !== null);
  }

  function onCalled(call) {
    if (call && call.office && call.office !== OFFICE) return;
    if (mine(call)) {
      show(call, true);
    } else if (current && call && call.ticket_id != null && call.ticket_id === current.ticket_id) {
      show(null, false);  // our ticket was transferred and called at another window
    }
  }

  function onReleased(msg) {
    // The window finished its ticket (served, no-show, handed on): it is free again.
    if (msg && Number(msg.window) === WINDOW && current && msg.ticket_id === current.ticket_id) show(null, false);
  }

  function setPaused(reason) {
    if (reason == null) { pausedEl.hidden = true; return; }
    pausedReasonEl.textContent = reason || "";
    pausedEl.hidden = false;
  }

  function setOnline(online) {
    windowState.connected = online;
    clearTimeout(offlineTimer);
    if (online) offlineEl.hidden = true;
    else offlineTimer = setTimeout(function () { offlineEl.hidden = false; }, 1500);
  }

  if (typeof io !== "function") { offlineEl.hidden = false; return; }
  var socket = io("/board", { query: { office: OFFICE }, transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
  socket.on("connect", function () { setOnline(true); });
  socket.on("released", onReleased);
  socket.on("disconnect", function (reason) {
    setOnline(false);
    if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 3000);
  });
  socket.on("connect_error", function () {
    setOnline(false);
    if (!socket.active) setTimeout(function () { socket.connect(); }, 5000);
  });
  socket.on("state", onState);
  socket.on("called", onCalled);
  socket.on("paused", function (p) { if (!p || !p.office || p.office === OFFICE) setPaused(p && p.reason || ""); });
  socket.on("resumed", function (p) { if (!p || !p.office || p.office === OFFICE) setPaused(null); });
})();

/* Hall board: the newest call big, the last eight calls, a clock, spoken announcements.
 *
 * Live data: Socket.IO namespace /board, query office=CODE.
 *   state   {office, calls: [{number, window, service, called_at, ticket_id}, …]}  newest first;
 *           sent on every (re)connect, so the board re-renders from it and resyncs.
 *   called  one call {…, recall?: true}: shown, blinked, chimed and announced.
 *   paused  {office, reason} / resumed {office}: a full-screen notice (e.g. an air-raid alert).
 * While disconnected it polls GET /api/v1/offices/CODE/board every 15 s.
 *
 * Audio: announcements are queued and played clip after clip (never overlapping); tests read
 * window.boardAudio = {queue: [pending announcements], played: [{number, window, clips, status}]}.
 * An entry enters `played` when its first clip starts; its status becomes "done" when it ends.
 */
(function () {
  "use strict";

  var root = document.getElementById("board");
  if (!root) return;
  var OFFICE = root.dataset.office;
  var AUDIO_BASE = root.dataset.audioBase || "/static/audio/";
  var AUDIO_EXT = ".ogg";            // tools/make_audio_clips.sh writes Ogg Vorbis, 16 kHz mono
  var MAX_ROWS = 8;                  // the list: the last eight calls
  var KEEP_CALLS = 30;
  var FLASH_MS = 5200;               // matches 5 × 1 s of the CSS animation
  var MAX_QUEUE = 10;                // a backlog longer than this is trimmed (oldest first)
  var STALE_MS = 3 * 60 * 1000;      // announcements older than this are not spoken any more
  var RESYNC_ANNOUNCE_MS = 2 * 60 * 1000;  // calls missed while offline and younger than this are announced

  // Ticket letters as spoken letter names; files by transliteration (see tools/make_audio_clips.sh).
  var LETTER_CLIPS = { "З": "letter-z", "Д": "letter-d", "П": "letter-p", "В": "letter-v", "Н": "letter-n",
                       "Б": "letter-b", "А": "letter-a", "К": "letter-k", "Р": "letter-r" };

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    current: $("current-call"), currentNumber: $("current-number"), currentWindow: $("current-window"),
    empty: $("current-empty"), body: $("calls-body"), offline: $("board-offline"), sound: $("board-sound"),
    paused: $("board-paused"), pausedReason: $("board-paused-reason"),
    clockTime: $("clock-time"), clockDate: $("clock-date")
  };

  /* ---------------------------------------------------------------- clock (Europe/Kyiv) */
  function formatter(opts) {
    try { return new Intl.DateTimeFormat("uk-UA", Object.assign({ timeZone: "Europe/Kyiv" }, opts)); }
    catch (e) {  // an ICU older than 2022 knows only the old spelling
      try { return new Intl.DateTimeFormat("uk-UA", Object.assign({ timeZone: "Europe/Kiev" }, opts)); }
      catch (e2) { return new Intl.DateTimeFormat("uk-UA", opts); }
    }
  }
  var fmtTime = formatter({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  var fmtDate = formatter({ weekday: "long", day: "numeric", month: "long" });
  var fmtHour = formatter({ hour: "numeric", hour12: false });
  function tick() {
    var now = new Date();
    els.clockTime.textContent = fmtTime.format(now);
    els.clockDate.textContent = fmtDate.format(now);
    setTimeout(tick, 1000 - (Date.now() % 1000) + 5);  // on the second, not drifting
  }
  tick();

  /* ---------------------------------------------------------------- spoken clips */
  function numberClips(n) {
    // 1–999 from the clips num-1…19, num-20…90, num-100…900: 123 → сто, двадцять, три
    var out = [];
    n = Math.floor(Number(n));
    if (!(n >= 1 && n <= 999)) return out;
    var h = Math.floor(n / 100), rest = n % 100;
    if (h) out.push("num-" + h * 100);
    if (rest >= 20) {
      out.push("num-" + Math.floor(rest / 10) * 10);
      if (rest % 10) out.push("num-" + (rest % 10));
    } else if (rest) {
      out.push("num-" + rest);
    }
    return out;
  }

  function parseNumber(text) {
    // "П-015" → {letter: "П", seq: 15}; tolerant of "П015", "П 15"
    var m = /^\s*([^\d\s-]*)[\s-]*0*(\d+)\s*$/.exec(String(text || ""));
    if (!m) return { letter: "", seq: null };
    return { letter: m[1].toUpperCase(), seq: parseInt(m[2], 10) };
  }

  function announcementClips(call) {
    var names = ["chime", "word-talon"];
    var parsed = parseNumber(call.number);
    for (var i = 0; i < parsed.letter.length; i++) {
      if (LETTER_CLIPS[parsed.letter[i]]) names.push(LETTER_CLIPS[parsed.letter[i]]);
    }
    names = names.concat(numberClips(parsed.seq));
    if (call.window != null && call.window !== "") {
      names.push("word-vikno");
      names = names.concat(numberClips(call.window));
    }
    return names.map(function (n) { return AUDIO_BASE + n + AUDIO_EXT; });
  }

  /* ---------------------------------------------------------------- the audio queue */
  var boardAudio = window.boardAudio = { queue: [], played: [], blocked: false, busy: false };
  boardAudio.numberClips = numberClips;
  boardAudio.clipsFor = announcementClips;

  function announce(call) {
    boardAudio.queue.push({
      number: call.number, window: call.window, recall: !!call.recall, ticket_id: call.ticket_id,
      clips: announcementClips(call), queued_at: Date.now()
    });
    while (boardAudio.queue.length > MAX_QUEUE) boardAudio.queue.splice(boardAudio.busy ? 1 : 0, 1);
    pump();
  }

  function playClip(audio) {
    // Resolves "ended" | "error" | "timeout" | "blocked"; never hangs the queue.
    return new Promise(function (resolve) {
      var done = false, timer = null;
      function finish(result) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        audio.onended = audio.onerror = audio.onloadedmetadata = null;
        resolve(result);
      }
      function arm(ms) { clearTimeout(timer); timer = setTimeout(function () { finish("timeout"); }, ms); }
      audio.onended = function () { finish("ended"); };
      audio.onerror = function () { finish("error"); };
      audio.onloadedmetadata = function () {
        if (isFinite(audio.duration)) arm(audio.duration * 1000 + 2000);
      };
      arm(8000);
      var p;
      try { p = audio.play(); } catch (e) { finish("error"); return; }
      if (p && typeof p.then === "function") {
        p.catch(function (err) { finish(err && err.name === "NotAllowedError" ? "blocked" : "error"); });
      }
    });
  }

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function pump() {
    if (boardAudio.busy || boardAudio.blocked) return;
    var entry = boardAudio.queue[0];
    if (!entry) return;
    if (Date.now() - entry.queued_at > STALE_MS) {  // e.g. after sound was blocked for a while
      boardAudio.queue.shift();
      entry.status = "skipped";
      pump();
      return;
    }
    boardAudio.busy = true;
    // Load every clip of the announcement up front, so they follow one another without gaps.
    var audios = entry.clips.map(function (url) { var a = new Audio(url); a.preload = "auto"; return a; });
    var i = 0;
    function next() {
      if (i >= audios.length) return finish("done");
      var url = entry.clips[i];
      var pause = /word-vikno/.test(url) ? wait(180) : Promise.resolve();
      return pause.then(function () { return playClip(audios[i]); }).then(function (result) {
        if (result === "blocked") {
          // Autoplay refused: keep the announcement at the head of the queue, ask for a click.
          boardAudio.busy = false;
          boardAudio.blocked = true;
          els.sound.hidden = false;
          return;
        }
        if (!entry.started_at) {
          entry.status = "playing";
          entry.started_at = new Date().toISOString();
          boardAudio.played.push(entry);
          if (boardAudio.played.length > 200) boardAudio.played.splice(0, boardAudio.played.length - 200);
        }
        if (result !== "ended") (entry.errors = entry.errors || []).push(url + ": " + result);
        i += 1;
        return next();
      });
    }
    function finish(status) {
      entry.status = status;
      entry.finished_at = new Date().toISOString();
      if (boardAudio.queue[0] === entry) boardAudio.queue.shift();
      boardAudio.busy = false;
      setTimeout(pump, 350);  // a breath between two announcements
    }
    next().catch(function (e) {
      if (window.console) console.error("board audio", e);
      finish("error");
    });
  }

  els.sound.addEventListener("click", function () {
    // The click is the user gesture the browser wants; from now on audio may play.
    els.sound.hidden = true;
    boardAudio.blocked = false;
    pump();
  });

  /* ---------------------------------------------------------------- rendering */
  var calls = [];          // newest first
  var seen = {};           // calls already shown (and announced), by key
  var stateCount = 0;
  var flashTimer = null;

  function keyOf(c) { return [c.ticket_id, c.number, c.window, c.called_at].join("|"); }
  function sameTicket(a, b) {
    return a.ticket_id != null && b.ticket_id != null ? a.ticket_id === b.ticket_id : a.number === b.number;
  }

  function render() {
    var cur = calls[0];
    if (cur) {
      els.currentNumber.textContent = cur.number;
      els.currentWindow.textContent = cur.window;
      els.current.hidden = false;
      els.empty.hidden = true;
    } else {
      els.current.hidden = true;
      els.empty.hidden = false;
    }
    var frag = document.createDocumentFragment();
    calls.slice(0, MAX_ROWS).forEach(function (c, idx) {
      var tr = document.createElement("tr");
      if (idx === 0) tr.className = "newest";
      if (c.recall) tr.className += " recall";
      tr.dataset.ticketId = c.ticket_id == null ? "" : c.ticket_id;
      var tdN = document.createElement("td");
      tdN.textContent = c.number;
      var tdW = document.createElement("td");
      tdW.textContent = c.window;
      tr.appendChild(tdN);
      tr.appendChild(tdW);
      frag.appendChild(tr);
    });
    els.body.replaceChildren(frag);
  }

  function flash() {
    els.current.classList.remove("fresh");
    void els.current.offsetWidth;  // restart the CSS animation
    els.current.classList.add("fresh");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { els.current.classList.remove("fresh"); }, FLASH_MS);
  }

  function remember(c) {
    seen[keyOf(c)] = true;
    if (Object.keys(seen).length > 500) {  // a board runs for weeks: forget what is no longer listed
      seen = {};
      calls.forEach(function (k) { seen[keyOf(k)] = true; });
      seen[keyOf(c)] = true;
    }
  }

  function onCalled(call) {
    if (!call || (call.office && call.office !== OFFICE)) return;
    remember(call);
    calls = calls.filter(function (c) { return !sameTicket(c, call); });
    calls.unshift(call);
    calls.length = Math.min(calls.length, KEEP_CALLS);
    render();
    flash();
    announce(call);
  }

  function onState(state) {
    if (!state || (state.office && state.office !== OFFICE)) return;
    var incoming = (state.calls || []).slice(0, KEEP_CALLS);
    var first = stateCount === 0;
    stateCount += 1;
    boardState.stateCount = stateCount;
    // After a reconnect: speak the calls made while we were away (if recent), oldest first.
    var missed = first ? [] : incoming.filter(function (c) {
      var t = Date.parse(c.called_at);
      return !seen[keyOf(c)] && isFinite(t) && Date.now() - t < RESYNC_ANNOUNCE_MS;
    }).reverse();
    calls = incoming;
    incoming.forEach(remember);
    render();
    if (missed.length) {
      flash();
      missed.forEach(announce);
    }
    if ("paused" in state) setPaused(state.paused || null);  // the server adds it while paused
    else syncPause();
  }

  /* ---------------------------------------------------------------- pause (air-raid alert) */
  function setPaused(reason) {
    if (reason == null || reason === false) {
      els.paused.hidden = true;
    } else {
      els.pausedReason.textContent = reason || "";
      els.paused.hidden = false;
    }
  }
  function syncPause() {
    // The state event does not carry the pause; the office resource does (missed events while offline).
    if (!window.fetch) return;
    fetch("/api/v1/offices/" + encodeURIComponent(OFFICE), { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (o) { if (o && "paused_reason" in o) setPaused(o.paused_reason); })
      .catch(function () {});
  }

  /* ---------------------------------------------------------------- connection */
  var offlineTimer = null, pollTimer = null;
  function setOnline(online) {
    boardState.connected = online;
    clearTimeout(offlineTimer);
    if (online) {
      els.offline.hidden = true;
      clearInterval(pollTimer);
      pollTimer = null;
    } else {
      // a short grace period hides blips (a transport upgrade, a server restart)
      offlineTimer = setTimeout(function () { els.offline.hidden = false; }, 1500);
      if (!pollTimer) pollTimer = setInterval(pollBoard, 15000);
    }
  }
  function pollBoard() {
    if (!window.fetch) return;
    fetch("/api/v1/offices/" + encodeURIComponent(OFFICE) + "/board",
          { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && s.calls) onState(s); })
      .catch(function () {});
  }

  var boardState = window.boardState = { connected: false, stateCount: 0, calls: function () { return calls.slice(); } };

  if (typeof io !== "function") {
    setOnline(false);
    return;
  }
  var socket = io("/board", { query: { office: OFFICE }, transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
  boardState.socket = socket;
  socket.on("connect", function () { setOnline(true); });
  socket.on("disconnect", function (reason) {
    setOnline(false);
    // The server closed us on purpose (e.g. a restart): socket.io will not retry by itself then.
    if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 3000);
  });
  socket.on("connect_error", function () {
    setOnline(false);
    if (!socket.active) setTimeout(function () { socket.connect(); }, 5000);  // refused by the server
  });
  socket.on("state", onState);
  socket.on("called", onCalled);
  socket.on("paused", function (p) { if (!p || !p.office || p.office === OFFICE) setPaused(p && p.reason || ""); });
  socket.on("resumed", function (p) { if (!p || !p.office || p.office === OFFICE) setPaused(null); });
  setOnline(false);
  els.offline.hidden = true;  // not "lost" before the first attempt had a chance

  // A board runs for weeks: reload once a night (04:00 Kyiv) to pick up new code, if the server answers.
  var loadedAt = Date.now();
  setInterval(function () {
    if (Date.now() - loadedAt > 6 * 3600 * 1000 && parseInt(fmtHour.format(new Date()), 10) === 4 && boardState.connected &&
        !boardAudio.busy) {
      window.location.reload();
    }
  }, 60 * 1000);
})();

/* The coordinators' queue: polls a small JSON state every 3 s, swaps in the new list when it changed,
   and shows (and, once allowed, sounds) a cue for new urgent requests. No inline script: CSP 'self'. */
(function () {
  "use strict";
  var POLL_MS = 3000;
  var queue = document.getElementById("queue");
  if (!queue) { return; }
  var banner = document.getElementById("banner");
  var live = document.getElementById("live");
  var soundButton = document.getElementById("sound");
  var baseTitle = document.title;
  var known = null;      // urgent ids already seen, so only new ones beep
  var audio = null;
  var stopped = false;

  function version() {
    var items = document.getElementById("items");
    return items ? items.getAttribute("data-version") : "";
  }

  function beep() {
    if (!audio || audio.state !== "running") { return; }
    [0, 0.25].forEach(function (offset) {
      var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime + offset;
      osc.type = "sine"; osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(t); osc.stop(t + 0.22);
    });
  }

  function showSound(on) {
    soundButton.setAttribute("aria-pressed", on ? "true" : "false");
    soundButton.textContent = soundButton.getAttribute(on ? "data-on" : "data-off");
  }

  function enableSound() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    audio = audio || new Ctx();
    audio.resume().then(function () { showSound(true); beep(); });
    try { window.localStorage.setItem("hl-sound", "on"); } catch (e) { /* private mode */ }
  }

  function disableSound() {
    if (audio) { audio.suspend(); }
    showSound(false);
    try { window.localStorage.removeItem("hl-sound"); } catch (e) { /* private mode */ }
  }

  soundButton.addEventListener("click", function () {
    if (audio && audio.state === "running") { disableSound(); } else { enableSound(); }
  });
  var wanted = false;
  try { wanted = window.localStorage.getItem("hl-sound") === "on"; } catch (e) { wanted = false; }
  if (wanted) {  // browsers allow sound only after a gesture on this page: the first key or tap
    var resume = function () {
      document.removeEventListener("keydown", resume, true);
      document.removeEventListener("pointerdown", resume, true);
      if (!audio || audio.state !== "running") { enableSound(); }
    };
    document.addEventListener("keydown", resume, true);
    document.addEventListener("pointerdown", resume, true);
  }

  function cue(urgent) {
    var fresh = known === null ? [] : urgent.filter(function (id) { return known.indexOf(id) < 0; });
    known = urgent.slice();
    if (urgent.length) {
      banner.textContent = queue.getAttribute("data-urgent").replace("{ids}", "#" + urgent.join(", #"));
      banner.hidden = false;
      document.title = "(" + urgent.length + ") \u26a0 " + baseTitle;
    } else {
      banner.hidden = true;
      banner.textContent = "";
      document.title = baseTitle;
    }
    if (fresh.length) { beep(); }
  }

  var AGES = [[86400, "data-age-d"], [3600, "data-age-h"], [60, "data-age-m"], [1, "data-age-s"]];

  function ages() {  // "waiting for" keeps counting between two updates of the list
    var now = Date.now() / 1000;
    Array.prototype.forEach.call(document.querySelectorAll(".age[data-created]"), function (el) {
      var seconds = Math.max(0, Math.floor(now - Number(el.getAttribute("data-created"))));
      for (var i = 0; i < AGES.length; i++) {
        if (seconds >= AGES[i][0] || i === AGES.length - 1) {
          el.textContent = queue.getAttribute(AGES[i][1]).replace("{n}", String(Math.floor(seconds / AGES[i][0])));
          return;
        }
      }
    });
  }

  function editing() {
    var el = document.activeElement;
    return el && queue.contains(el) && (el.tagName === "INPUT" || el.tagName === "SELECT") && el.value !== "";
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("items");
    var current = document.getElementById("items");
    if (!fresh || !current) { return; }
    var focused = document.activeElement && document.activeElement.id;
    current.replaceWith(document.importNode(fresh, true));
    if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
    live.textContent = live.getAttribute("data-updated") + " " + new Date().toLocaleTimeString();
  }

  function signedOut() {
    stopped = true;
    banner.textContent = queue.getAttribute("data-expired");
    banner.hidden = false;
    document.title = "\u26a0 " + baseTitle;
    window.setTimeout(function () { window.location.assign(queue.getAttribute("data-signin")); }, 4000);
  }

  function poll() {
    if (stopped) { return; }
    fetch(queue.getAttribute("data-state"), {credentials: "same-origin", cache: "no-store",
                                             headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 401) { signedOut(); return null; }
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (state) {
        if (!state) { return null; }
        cue(state.urgent);
        if (state.version === version() || editing()) { return null; }
        return fetch(queue.getAttribute("data-fragment"), {credentials: "same-origin", cache: "no-store"})
          .then(function (r) {
            if (r.redirected || r.status !== 200) { signedOut(); return; }
            return r.text().then(swap);
          });
      })
      .catch(function () { live.textContent = live.getAttribute("data-offline"); })
      .then(function () { ages(); if (!stopped) { window.setTimeout(poll, POLL_MS); } });
  }

  poll();
}());

/* The card page: its figures polled every 3 s while the page is visible, a fresh QR
   before the shown one expires, the service worker that keeps the card offline. */
(function () {
  "use strict";
  var card = document.getElementById("card");
  if (!card) return;
  // Every 3 s while the card is looked at; a card left open on a screen for 5 minutes
  // with nothing new slows to every 30 s (still in time for each new QR).
  var EVERY = 3000, IDLE_EVERY = 30000, IDLE_AFTER = 300000;
  var since = Date.now();
  var last = "";
  var life = (+card.dataset.qrSeconds || 90) * 1000;
  // Ask for a new QR this long before the shown one expires (a scan takes a moment).
  var margin = Math.min(30000, life / 3);
  var qrAt = Date.now();
  var timer = 0;
  var busy = false;
  var $ = function (id) { return document.getElementById(id); };

  function text(id, value) {
    var el = $(id);
    if (el.textContent !== value) el.textContent = value;
    return el;
  }

  function line(id, value) {
    text(id, value).hidden = !value;
  }

  function offline(yes) {
    $("offline").hidden = !yes;
    card.classList.toggle("stale", yes);
  }

  function show(s, cached) {
    var figures = [s.points, s.tier, s.progress_text, s.expiring_text, s.unread].join("|");
    if (figures !== last) { last = figures; since = Date.now(); }
    text("points", s.points_text);
    text("points-label", s.points_label);
    text("tier", s.tier);
    $("tier-line").hidden = !s.tier;
    $("bar").style.width = s.progress_percent + "%";
    text("progress", s.progress_text);
    line("expiring", s.expiring_text);
    line("unread", s.unread_text);
    if (s.qr && !cached) {
      $("qr").innerHTML = s.qr.svg;
      $("qr").dataset.token = s.qr.token;
      life = s.qr.expires_in * 1000;
      qrAt = Date.now();
    }
    offline(cached || Date.now() - qrAt > life);
  }

  function poll() {
    clearTimeout(timer);
    if (document.hidden) return;
    timer = setTimeout(poll, Date.now() - since > IDLE_AFTER ? IDLE_EVERY : EVERY);
    if (busy) return;
    busy = true;
    var url = card.dataset.state + (Date.now() - qrAt > life - margin ? "?qr=1" : "");
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        // Signed out, or no longer a member: the page itself says what to do.
        if (r.status === 401 || r.status === 404) { location.reload(); return; }
        if (!r.ok) throw new Error(r.status);
        return r.json().then(function (s) { show(s, r.headers.get("X-Card-Cached") === "1"); });
      })
      .catch(function () { offline(true); })
      .then(function () { busy = false; });
  }

  document.addEventListener("visibilitychange", function () {
    since = Date.now();
    poll();
  });
  window.addEventListener("online", poll);
  document.addEventListener("pointerdown", function () {  // someone is using it again
    if (Date.now() - since > IDLE_AFTER) { since = Date.now(); poll(); }
  });
  // Opened offline (the service worker gave the last card): the last figures at once.
  if (navigator.onLine === false) poll(); else timer = setTimeout(poll, EVERY);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(card.dataset.sw, { scope: card.dataset.scope }).catch(function () {});
  }
})();

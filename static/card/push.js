/* The web card's "Notifications on this phone" switch (templates/card/push_toggle.html):
   asks the browser's permission, subscribes with the platform's VAPID key and posts the
   subscription to the server; off, it tells the server and unsubscribes. */
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return; // no Web Push here: the switch stays hidden
  }
  var toggle = box.querySelector("[data-push-switch]");
  var state = box.querySelector("[data-push-state]");
  var text = box.dataset;

  function serverKey() {
    var b64 = text.key.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription) {
    var used = subscription.options && subscription.options.applicationServerKey;
    if (!used) return true;
    var mine = serverKey();
    used = new Uint8Array(used);
    return used.length === mine.length && used.every(function (b, i) { return b === mine[i]; });
  }

  function show(on, message) {
    toggle.checked = on;
    state.textContent = message || (on ? text.on : text.off);
  }

  async function post(url, body) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "error", // signed out: the sign-in page is no answer
      headers: { "Content-Type": "application/json", "X-CSRFToken": text.csrf },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error("push subscription: " + response.status);
  }

  // The browser's subscription, unless it was made with another key (keys renewed).
  async function current(registration) {
    var subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription)) {
      await subscription.unsubscribe();
      return null;
    }
    return subscription;
  }

  async function turnOn(registration) {
    var permission = await Notification.requestPermission();
    if (permission !== "granted") {
      toggle.disabled = permission === "denied";
      show(false, permission === "denied" ? text.denied : text.off);
      return;
    }
    try {
      var subscription = (await current(registration)) ||
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey() }));
      await post(text.subscribe, subscription.toJSON());
      show(true);
    } catch (error) {
      show(false, text.failed);
    }
  }

  async function turnOff(registration) {
    try {
      var subscription = await registration.pushManager.getSubscription();
      if (subscription) {
        await post(text.unsubscribe, { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      show(false);
    } catch (error) {
      show(true, text.failed);
    }
  }

  navigator.serviceWorker.ready.then(async function (registration) {
    var subscription = await current(registration);
    box.hidden = false;
    if (Notification.permission === "denied") {
      toggle.disabled = true;
      show(false, text.denied);
      return;
    }
    var on = Boolean(subscription) && Notification.permission === "granted";
    show(on);
    if (on) {
      // The server keeps it for whoever is signed in on this browser now.
      post(text.subscribe, subscription.toJSON()).catch(function () {});
    }
    toggle.addEventListener("change", async function () {
      toggle.disabled = true;
      await (toggle.checked ? turnOn(registration) : turnOff(registration));
      if (Notification.permission !== "denied") toggle.disabled = false;
    });
  });
})();

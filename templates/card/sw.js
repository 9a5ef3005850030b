{% autoescape off %}/* The card's service worker (scope {{ home }}): keeps the card page, its stylesheet
   and script, and the last answer of {{ state }}, so that a phone without network
   still shows the last card and balance (the page marks the QR as possibly expired). */
importScripts("/static/card/sw-push.js");

var SHELL = "card-shell-{{ version }}";
var DATA = "card-data";
var FILES = {{ static_files }};
var HOME = "{{ home }}";
var STATE = "{{ state }}";

function keepHome(cache) {
  // The member's card as it is now; a sign-in or join page is not kept.
  return fetch(HOME, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
    if (r.headers.get("X-Card-Member") === "1") return cache.put(HOME, r);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(FILES); })
      .then(function () { return caches.open(DATA); })
      .then(keepHome)
      .catch(function () {})
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("card-shell-") === 0 && key !== SHELL;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function forget() {
  return caches.delete(DATA);
}

function page(request) {
  return fetch(request).then(function (response) {
    if (response.headers.get("X-Card-Member") === "1") {
      var copy = response.clone();
      caches.open(DATA).then(function (cache) { cache.put(HOME, copy); });
    } else if (response.status < 500) {
      forget();  // signed out, or not a member: no card is kept
    }
    return response;
  }, function () {
    return caches.match(HOME, { cacheName: DATA }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

function state(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(DATA).then(function (cache) { cache.put(STATE, copy); });
    } else if (response.status === 401 || response.status === 404) {
      forget();
    }
    return response;
  }, function () {
    return caches.match(STATE, { cacheName: DATA }).then(function (hit) {
      if (!hit) return Response.error();
      return hit.text().then(function (body) {
        return new Response(body, {
          headers: { "Content-Type": "application/json", "X-Card-Cached": "1" }
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== location.origin) return;
  if (request.method === "POST" && url.pathname === "{{ signout }}") {
    event.waitUntil(forget());  // signing out leaves no card behind on the phone
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname === STATE) {
    event.respondWith(state(request));
  } else if (url.pathname === HOME && request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (FILES.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(request, { cacheName: SHELL, ignoreSearch: true }).then(function (hit) {
      return hit || fetch(request);
    }));
  }
});
{% endautoescape %}

/* The service worker's Web Push handlers, imported by the card's service worker
   (importScripts). The server's payload is JSON: title, body, url (the card), lang, dir. */
self.addEventListener("push", function (event) {
  var message = {};
  if (event.data) {
    try {
      message = event.data.json();
    } catch (error) {
      message = { body: event.data.text() };
    }
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "", {
      body: message.body || "",
      lang: message.lang || "",
      dir: message.dir || "auto",
      data: { url: message.url || "" },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  // Only a page of this site opens: the card itself when the payload names another.
  var target = new URL("/card/", self.location.origin);
  try {
    var wanted = new URL((event.notification.data && event.notification.data.url) || "/card/", self.location.origin);
    if (wanted.origin === self.location.origin) target = wanted;
  } catch (error) {
    /* keep /card/ */
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target.href && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(target.href);
    })
  );
});

/* The service worker's push handlers (webpush app, issue 13); the card's service worker imports this file. */

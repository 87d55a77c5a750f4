/* Rempart console: the CSRF token on htmx requests (no inline script: the CSP forbids it). */
"use strict";
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && event.detail && event.detail.headers) {
    event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  }
});

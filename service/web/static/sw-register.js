// Registers the service worker (the report page then opens offline) and, on the log-in
// page, makes it forget the pages of whoever was logged in before.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(async (registration) => {
    if (location.pathname === "/login") {
      const worker = registration.active || (await navigator.serviceWorker.ready).active;
      worker?.postMessage("forget");
    }
  }).catch(() => { /* not essential: the page works without it */ });
}

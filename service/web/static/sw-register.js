// Registers the service worker, so the report page opens even offline; on the log-in
// page, makes it forget the pages of whoever was logged in before.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(async () => {
    const ready = await navigator.serviceWorker.ready;
    if (location.pathname === "/login") ready.active?.postMessage({ forget: true });
    // Keep this very page and what it loads for offline use (the worker decides which
    // pages qualify). A page the worker already served was kept on the way.
    else if (!navigator.serviceWorker.controller) {
      const assets = [...document.querySelectorAll("script[src], link[href]")]
        .map((node) => node.src || node.href).filter((url) => new URL(url).pathname.startsWith("/static/"));
      ready.active?.postMessage({ keep: location.pathname, assets });
    }
  }).catch(() => { /* not essential: the page works without it */ });
}

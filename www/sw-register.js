// Registers raftlab's service worker (sw.js, next to this file; see www/sw.js) so that the
// page works offline after one visit, and announces a new build. Plain JavaScript, not in the
// wasm. index.html loads it with `defer`.
//
// - Registered only where service workers are allowed (a secure context: https, or
//   http://127.0.0.1 and localhost), after the page has loaded and its wasm runs, in a
//   top-level page or an iframe alike (an embedded page then works offline too).
// - The first install shows nothing. A new build installs in the background and waits; the
//   page then shows a small banner ("A new version of raftlab is ready." and a Reload button,
//   role=status). Only the reader's click lets the new worker take over (SKIP_WAITING), and
//   the page reloads once it has (controllerchange): no page runs old code against new
//   files. In embed mode (?embed) there is no banner: the new build is used from the next
//   visit after every old page has closed.
(() => {
  const sw = navigator.serviceWorker;
  if (!sw || !window.isSecureContext) return;
  const script = new URL('sw.js', (document.currentScript && document.currentScript.src) || location.href);
  const embed = new URLSearchParams(location.search).get('embed');
  const embedded = embed !== null && !/^\s*(0|false|no|off)\s*$/i.test(embed);
  const controlled = Boolean(sw.controller); // false on the first visit
  let chosen = false; // the reader clicked Reload
  let reloading = false;
  let registration = null;
  let banner = null;

  const STYLE = `
.sw-update { position: fixed; right: 1rem; bottom: 1rem; z-index: 9; max-width: min(34rem, calc(100vw - 2rem));
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; padding: 0.6rem 0.75rem;
  background: var(--panel, #fff); color: var(--ink, #1d1f21); border: 2px solid var(--accent, #0b57d0);
  border-radius: 8px; box-shadow: 0 4px 16px rgba(0, 0, 0, 0.25); font: inherit; }
.sw-update p { margin: 0; flex: 1 1 12rem; }
.sw-update .sw-buttons { display: flex; gap: 0.5rem; }
/* A narrow screen scrolls: room at the bottom so that nothing stays under the banner. */
@media (max-width: 899.98px) {
  .sw-update { left: 0.5rem; right: 0.5rem; bottom: 0.5rem; max-width: none; }
  body.sw-update-shown { padding-bottom: 6rem; }
}`;

  /** Shows the banner (once), which reloads into the new build when the reader asks. */
  function offer() {
    if (embedded || banner) return;
    const style = document.createElement('style');
    style.textContent = STYLE;
    document.head.append(style);
    banner = document.createElement('div');
    banner.className = 'sw-update';
    banner.setAttribute('role', 'status');
    document.body.append(banner);
    document.body.classList.add('sw-update-shown');
    // Filled after the live region is in the document, so that screen readers announce it.
    requestAnimationFrame(() => {
      const text = document.createElement('p');
      text.textContent = 'A new version of raftlab is ready.';
      const reload = document.createElement('button');
      reload.type = 'button';
      reload.className = 'primary';
      reload.textContent = 'Reload';
      reload.addEventListener('click', () => {
        const waiting = registration && registration.waiting;
        reload.disabled = true;
        if (waiting) {
          chosen = true;
          waiting.postMessage({ type: 'SKIP_WAITING' });
        } else {
          reloadOnce(); // another page already let the new build take over
        }
      });
      const later = document.createElement('button');
      later.type = 'button';
      later.textContent = 'Later';
      later.addEventListener('click', () => {
        banner.hidden = true;
        document.body.classList.remove('sw-update-shown');
      });
      const buttons = document.createElement('span');
      buttons.className = 'sw-buttons';
      buttons.append(reload, later);
      banner.append(text, buttons);
    });
  }

  function reloadOnce() {
    if (reloading) return;
    reloading = true;
    location.reload();
  }

  sw.addEventListener('controllerchange', () => {
    if (chosen) reloadOnce();
    // Another page of raftlab let the new build take over: this one still runs the old code.
    else if (controlled) offer();
  });

  function watch(worker) {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && sw.controller) offer();
    });
  }

  async function register() {
    try {
      registration = await sw.register(script.href);
      if (registration.waiting && sw.controller) offer();
      if (registration.installing) watch(registration.installing);
      registration.addEventListener('updatefound', () => registration.installing && watch(registration.installing));
      // A page left open all day (a classroom) still hears of a new build.
      setInterval(() => registration.update().catch(() => {}), 60 * 60 * 1000);
    } catch (err) {
      console.warn(`raftlab: no offline copy: the service worker could not be registered (${err && err.message})`);
    }
  }

  // Not before the page runs: installing downloads the whole build (the wasm again among it),
  // which on a slow network would compete with the page's own wasm. So: once the page has
  // loaded and Trunk's start-up has run the wasm (TrunkApplicationStarted; the glue's
  // bindings are then on window).
  const whenLoaded = () => {
    if (document.readyState === 'complete') register();
    else addEventListener('load', register, { once: true });
  };
  if (window.wasmBindings !== undefined) whenLoaded();
  else addEventListener('TrunkApplicationStarted', whenLoaded, { once: true });
})();

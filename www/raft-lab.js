// <raft-lab>: raftlab as a custom element, for any static page (docs/embedding.md).
//
//   <script type="module" src="https://example.org/raftlab/raft-lab.js"></script>
//   <raft-lab seed="42" nodes="5"></raft-lab>
//
// This is the source (www/raft-lab.js); the build (scripts/postbuild/element.mjs) writes it
// to dist/raft-lab.js with the hashed names of the build filled in. Every file is found
// relative to this script's own address, so the page may live under any sub-path.
//
// Each element shows a static poster (a few KB, no wasm) until it comes near the viewport or
// the reader presses its Play button. Then it compiles the wasm (once per page: every element
// shares the compiled module) and gives itself an instance of its own, by importing the
// wasm-bindgen glue under an address of its own (a fresh module with its own memory and
// state), and mounts the app in its shadow root: elements on one page run independently.
// It pauses when scrolled out of view or when the tab is hidden, and resumes if it was
// playing. A host whose Content-Security-Policy forbids WebAssembly gets a message and a link
// to the page in a frame (index.html?embed&...) instead.

const GLUE = '__RAFTLAB_GLUE__'; // raftlab-web-<hash>.js, the wasm-bindgen glue
const WASM = '__RAFTLAB_WASM__'; // raftlab-web-<hash>_bg.wasm
const CSS = 'raft-lab.css'; // the page's stylesheet adapted to a shadow root

const here = (name) => new URL(name, import.meta.url).href;

/** The element's attributes that are page options (src/embed.rs), in the order given here. */
const OPTIONS = ['scenario', 'lesson', 'seed', 'nodes', 'system', 'panels', 'autoplay', 'speed', 'readonly'];

/** The WebAssembly module, compiled once for every element of the page. */
let compiled = null;
function compile() {
  compiled ??= (async () => {
    const response = await fetch(here(WASM));
    if (!response.ok) throw new Error(`${WASM}: the server answered ${response.status}`);
    const copy = response.clone();
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (err) {
      // A host that serves .wasm with another type: compile the bytes instead.
      if (err instanceof TypeError) return WebAssembly.compile(await copy.arrayBuffer());
      throw err;
    }
  })();
  // A failure is not kept: the next element (or a second press) tries again.
  compiled.catch(() => (compiled = null));
  return compiled;
}

/** Whether `err` is the browser refusing WebAssembly because of the host's CSP. */
function forbiddenByCsp(err) {
  const text = `${err && err.name}: ${err && err.message}`;
  return /Content.Security.Policy|unsafe-eval|wasm-eval/i.test(text) || (err && err.name === 'EvalError');
}

let instances = 0;
/**
 * Stack frames an error keeps (V8 keeps 10). A crash is shown by the element whose glue
 * address (`?instance=N`) is in the trap's stack, and that frame is the outermost: a panic
 * deep inside a render has more than 10 frames of wasm above it. So the first element raises
 * the limit of the page to 200 (never lowers it); errors are rare, and this costs nothing
 * until one is made.
 */
const STACK_FRAMES = 200;
/** A fresh instance of raftlab: the glue imported under its own address, on the shared module. */
async function instance() {
  if (typeof Error.stackTraceLimit === 'number' && Error.stackTraceLimit < STACK_FRAMES) Error.stackTraceLimit = STACK_FRAMES;
  const module = await compile();
  const glue = await import(`${here(GLUE)}?instance=${++instances}`);
  await glue.default({ module_or_path: module });
  return glue;
}

/**
 * Whether a flag attribute is on, read as the page reads its flags (src/embed.rs `flag`):
 * present with no value, `1`, `true`, `yes` or `on`. `null` (absent) and `0`, `false`, `no`,
 * `off` are off; another value is off here and the page says what is wrong with it.
 */
const isOn = (value) => value !== null && ['', '1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());

const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/**
 * The poster: the cluster at rest, as the page draws it at time 0 (S1 at the top, the others
 * clockwise round a circle, every pair linked, each server's name over its first role
 * word), with `n` servers of `system`, and a big Play button. A lesson's or a scenario
 * file's cluster is only known once fetched (lessons/index.json gives each lesson's `nodes`
 * and `system`; a scenario file has its own): the poster is drawn again then (refinePoster).
 */
function posterSvg(n, system) {
  const servers = [...Array(n).keys()].map((i) => {
    const a = -Math.PI / 2 + (i * 2 * Math.PI) / n;
    return n === 1 ? [50, 50] : [50 + 34 * Math.cos(a), 50 + 34 * Math.sin(a)];
  });
  const wires = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) wires.push(`M${servers[i]}L${servers[j]}`);
  const r = n > 7 ? 6.5 : 8;
  // The word under each name at time 0 (src/view/cluster.rs and systems.rs draw the same).
  const word = (i) =>
    system === 'quorum' ? 'replica' : system === 'lease' ? (i === 0 ? 'store' : i === n - 1 ? 'resource' : 'candidate') : 'term 0';
  const nodes = servers
    .map(([x, y], i) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}"/><text x="${x.toFixed(1)}" y="${(y + 0.4).toFixed(1)}">S${i + 1}</text><text class="sub" x="${x.toFixed(1)}" y="${(y + 3.6).toFixed(1)}">${word(i)}</text>`)
    .join('');
  return `<svg viewBox="0 0 100 100" aria-hidden="true"><path d="${wires.join('')}"/>${nodes}</svg>`;
}

/**
 * The poster's server count and system, read from the attributes as the app will read them:
 * `nodes` (a whole number 1 to 9), else an inline scenario's `nodes` and `system`, else a
 * link's `n=` (share-links.md); 5 servers of Raft otherwise. `system` names the system
 * unless the scenario does.
 */
function posterCluster(el) {
  const whole = (v) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 1 && n <= 9 ? n : null;
  };
  let n = whole(el.getAttribute('nodes'));
  let system = (el.getAttribute('system') || 'raft').trim().toLowerCase();
  const scenario = (el.getAttribute('scenario') || '').trim();
  if (scenario.startsWith('{')) {
    try {
      const s = JSON.parse(scenario);
      n = n ?? whole(s.nodes);
      if (typeof s.system === 'string') system = s.system;
    } catch {
      // The app says what is wrong with it.
    }
  }
  const link = el.getAttribute('link');
  if (link) {
    const fields = new URLSearchParams(link.replace(/^#/, ''));
    n = n ?? whole(fields.get('n'));
    try {
      // `y`: the system and its settings, as JSON (share-links.md, "The system").
      const y = fields.get('y');
      if (y) system = JSON.parse(y).system ?? system;
    } catch {
      // The app says what is wrong with it.
    }
  }
  return { n: n ?? 5, system };
}

/**
 * The cluster of a lesson (`lesson`, from lessons/index.json) or of a scenario file (`scenario`
 * as a URL), fetched (a few KB, no wasm), when the attributes do not say it (`nodes`); null
 * when there is nothing to fetch or the fetch fails (the app then says what is wrong).
 */
async function fetchedCluster(el) {
  if (el.getAttribute('nodes')) return null;
  const whole = (v) => (Number.isInteger(v) && v >= 1 && v <= 9 ? v : null);
  const system = (el.getAttribute('system') || 'raft').trim().toLowerCase();
  try {
    const lesson = (el.getAttribute('lesson') || '').trim();
    if (lesson) {
      const list = await (await fetch(here('lessons/index.json'))).json();
      const entry = Array.isArray(list) ? list.find((l) => l && l.id === lesson) : null;
      return entry && whole(entry.nodes) ? { n: entry.nodes, system: entry.system || 'raft' } : null;
    }
    const scenario = (el.getAttribute('scenario') || '').trim();
    if (scenario && !scenario.startsWith('{')) {
      const s = await (await fetch(new URL(scenario, document.baseURI))).json();
      return whole(s.nodes) ? { n: s.nodes, system: typeof s.system === 'string' ? s.system : system } : null;
    }
  } catch {
    // The app fetches it again and says what is wrong.
  }
  return null;
}

const STYLE = `
:host { all: initial; display: block; position: relative; aspect-ratio: 3 / 2; min-height: 240px; max-width: 100%;
  contain: content; overflow: hidden; border-radius: 8px; font: 13px/1.4 system-ui, sans-serif;
  color-scheme: light dark; --rl-ink: CanvasText; --rl-bg: Canvas; }
:host([hidden]) { display: none; }
:host([panels]), :host([lesson]) { aspect-ratio: auto; height: 620px; }
.poster, .fallback { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  gap: 1rem; padding: 0.5rem; background: #f7f7f4; color: #1d1f21; border: 1px solid #c9ccd0; border-radius: 8px; }
.poster svg { height: 100%; max-width: 60%; }
.poster path { stroke: #c9ccd0; stroke-width: 0.4; fill: none; }
.poster circle { fill: #fff; stroke: #1d1f21; stroke-width: 0.45; }
.poster text { font-size: 4px; text-anchor: middle; fill: #1d1f21; }
.poster text.sub { font-size: 2.2px; fill: #555b61; }
.poster button { font: inherit; font-size: 1.15rem; font-weight: 700; padding: 0.6em 1.2em; border-radius: 8px;
  border: 1px solid #0b57d0; background: #0b57d0; color: #fff; cursor: pointer; min-height: 2.6em; }
.poster button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.poster .status { position: absolute; bottom: 0.4rem; left: 0; right: 0; text-align: center; margin: 0; color: #555b61; }
.fallback { flex-direction: column; align-items: flex-start; justify-content: center; padding: 1rem 1.5rem; overflow: auto; }
.fallback p { margin: 0 0 0.6rem; max-width: 40em; }
.fallback a { color: #0b57d0; }
@media (prefers-color-scheme: dark) {
  .poster, .fallback { background: #15171a; color: #eceef0; border-color: #474d55; }
  .poster path { stroke: #474d55; } .poster circle { fill: #2a2e33; stroke: #eceef0; }
  .poster text { fill: #eceef0; } .poster text.sub { fill: #aab1b8; } .poster .status { color: #aab1b8; }
  .poster button { background: #8ab4f8; border-color: #8ab4f8; color: #15171a; }
  .fallback a { color: #8ab4f8; }
}
[data-raftlab-root] { height: 100%; container: raftlab / size; overflow: auto; border-radius: 8px; outline: none; }
:host([panels]) [data-raftlab-root], :host([lesson]) [data-raftlab-root] { container-type: inline-size; }
[data-raftlab-root][hidden] { display: none; }
.toggle { position: absolute; top: 0.4rem; right: 0.4rem; font: inherit; font-weight: 700; padding: 0.3em 0.9em;
  border-radius: 6px; border: 1px solid #0b57d0; background: #0b57d0; color: #fff; cursor: pointer; min-height: 2.2em; }
.toggle:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
`;

/** `<raft-lab>`: one raftlab, with its own run, controls and keyboard focus. */
class RaftLab extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.api = null;
    this.starting = null;
    this.autoPaused = false;
    this.seen = true;
    let resolve;
    /** Resolves with the element's scripting API once it runs (see `start`). */
    this.ready = new Promise((r) => (resolve = r));
    this.resolveReady = resolve;
  }

  /** The element's scripting API (the functions of `window.raftlab`), or null until it runs. */
  get raftlab() {
    return this.api;
  }

  connectedCallback() {
    if (this.starting || this.shadowRoot.firstChild) {
      this.watch();
      return;
    }
    const root = this.shadowRoot;
    root.innerHTML = `<style>${STYLE}</style>`;
    const poster = document.createElement('div');
    poster.className = 'poster';
    const cluster = posterCluster(this);
    poster.innerHTML = posterSvg(cluster.n, cluster.system);
    const play = document.createElement('button');
    play.type = 'button';
    play.textContent = '▶ Play';
    play.setAttribute('aria-label', 'Play the Raft simulation');
    play.addEventListener('click', () => this.start({ play: true, focus: true }));
    poster.append(play);
    const status = document.createElement('p');
    status.className = 'status';
    status.setAttribute('role', 'status');
    poster.append(status);
    root.append(poster);
    this.poster = poster;
    this.refinePoster(poster);
    this.watch();
  }

  /** Draws the poster again with a lesson's or a scenario file's own cluster, once fetched. */
  async refinePoster(poster) {
    const cluster = await fetchedCluster(this);
    const svg = poster.querySelector('svg');
    if (!cluster || !svg || this.poster !== poster || !poster.isConnected) return;
    svg.outerHTML = posterSvg(cluster.n, cluster.system);
    poster.dataset.nodes = String(cluster.n);
  }

  disconnectedCallback() {
    this.unwatch();
  }

  /** Starts when near the viewport; pauses and resumes with visibility. */
  watch() {
    if (this.observer) return;
    // Near: start (about 200 pixels ahead of the reader's scrolling).
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.start();
      },
      { rootMargin: '200px' },
    );
    this.observer.observe(this);
    // In view or not: pause when it leaves, resume when it is back.
    this.viewer = new IntersectionObserver((entries) => {
      const last = entries[entries.length - 1];
      this.seen = last.isIntersecting;
      this.follow();
    });
    this.viewer.observe(this);
    this.onVisibility = () => this.follow();
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  unwatch() {
    this.observer?.disconnect();
    this.viewer?.disconnect();
    this.observer = this.viewer = null;
    if (this.onVisibility) document.removeEventListener('visibilitychange', this.onVisibility);
  }

  /** Pauses a playing run that cannot be seen; resumes one that was paused that way. */
  follow() {
    const api = this.api;
    if (!api) return;
    const visible = this.seen && document.visibilityState !== 'hidden';
    if (!visible && api.state().playing) {
      api.pause();
      this.autoPaused = true;
    } else if (visible && this.autoPaused) {
      this.autoPaused = false;
      api.play();
    }
    this.showToggle?.();
  }

  /** The page options of the attributes, as a query string (`embed&seed=42&...`). */
  query() {
    const parts = ['embed'];
    for (const name of OPTIONS) {
      if (!this.hasAttribute(name)) continue;
      const value = this.getAttribute(name);
      parts.push(value === '' ? name : `${name}=${encodeURIComponent(value)}`);
    }
    return parts.join('&');
  }

  /** The same raftlab in a frame: the page's address with the element's options. */
  frameUrl() {
    const link = this.getAttribute('link');
    return here(`index.html?${this.query()}${link ? `#${link.replace(/^#/, '')}` : ''}`);
  }

  /**
   * Starts raftlab now (the wasm is fetched and compiled, the poster replaced); resolves with
   * the API. `play`: the reader pressed Play (the run plays even with autoplay="0").
   */
  start({ play = false, focus = false } = {}) {
    this.starting ??= this.boot().catch((err) => this.fail(err));
    if (play || focus) {
      this.starting.then((api) => {
        if (!api) return;
        if (play && !api.state().playing) api.play();
        if (focus) this.mountRoot.focus();
      });
    }
    return this.starting;
  }

  async boot() {
    const shadow = this.shadowRoot;
    this.poster.querySelector('.status').textContent = 'Loading the simulated cluster…';
    this.poster.querySelector('button').disabled = true;
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = here(CSS);
    const styled = new Promise((resolve) => {
      css.onload = resolve;
      css.onerror = resolve; // the app still works, unstyled
    });
    shadow.prepend(css);
    const root = document.createElement('div');
    root.setAttribute('data-raftlab-root', '');
    root.tabIndex = -1; // a click inside gives the element the keyboard focus
    root.hidden = true;
    shadow.append(root);
    this.mountRoot = root;
    const [glue] = await Promise.all([instance(), styled]);
    let query = this.query();
    // Less motion asked for: it starts paused (Play is always shown).
    if (reducedMotion()) query += '&autoplay=0';
    const link = (this.getAttribute('link') || '').replace(/^#/, '');
    const api = glue.mount(root, query, link, here('./'));
    if (api instanceof Error) throw api;
    root.hidden = false;
    this.poster.remove();
    this.api = api;
    this.unwatchNear();
    this.resolveReady(api);
    this.dispatchEvent(new CustomEvent('raftlab-ready', { detail: api }));
    // A read-only figure has no controls of its own: the element gives it Play/Pause.
    if (isOn(this.getAttribute('readonly'))) this.addToggle(api);
    this.follow();
    return api;
  }

  /** A Play/Pause button over a read-only figure (motion can always be stopped). */
  addToggle(api) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'toggle';
    const show = () => (button.textContent = api.state().playing ? 'Pause' : 'Play');
    button.addEventListener('click', () => {
      if (api.state().playing) api.pause();
      else api.play();
      this.autoPaused = false;
      show();
    });
    show();
    this.showToggle = show;
    this.shadowRoot.append(button);
  }

  unwatchNear() {
    this.observer?.disconnect();
  }

  /** Says why raftlab could not start, in the element; a link to the framed page. */
  fail(err) {
    const csp = forbiddenByCsp(err);
    const box = document.createElement('div');
    box.className = 'fallback';
    box.setAttribute('role', 'alert');
    const why = csp
      ? 'This page does not allow WebAssembly (its Content-Security-Policy lacks ' +
        "'wasm-unsafe-eval'), and raftlab is WebAssembly, so it cannot run here."
      : `raftlab could not start here: ${err && err.message ? err.message : err}.`;
    box.innerHTML = '<p></p><p><a target="_blank" rel="noopener"></a></p>';
    box.querySelector('p').textContent = why;
    const a = box.querySelector('a');
    a.href = this.frameUrl();
    a.textContent = 'Open the simulation on its own page';
    this.poster?.remove();
    this.mountRoot?.remove();
    this.shadowRoot.append(box);
    console.warn('raftlab:', err);
    return null;
  }
}

if (!customElements.get('raft-lab')) customElements.define('raft-lab', RaftLab);

// A violation of the host's CSP by WebAssembly shows in the elements still starting (some
// browsers report it only by this event).
document.addEventListener('securitypolicyviolation', (e) => {
  if (!/wasm|eval/i.test(`${e.blockedURI} ${e.violatedDirective}`)) return;
  compiled = Promise.reject(new Error('Content Security Policy: wasm-eval refused'));
  compiled.catch(() => {});
});

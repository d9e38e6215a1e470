// Post-build step 'sw' (see scripts/postbuild.mjs): makes the staged build work offline and
// installable.
//   1. writes the web manifest (manifest.webmanifest): names, start_url and scope "./", the
//      colours of www/style.css's tokens, the SVG icons of www/icons/ (copied by Trunk);
//   2. lists every file of the build (sw.js itself excepted), each with its SHA-256, and
//      computes the build's version from their names and contents;
//   3. writes sw.js from the template www/sw.js with that version and list.
// It runs last, after the steps that change index.html, so the hashes are of what ships.
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEMPLATE = path.join(ROOT, 'www/sw.js');

/** The manifest's file name in the build (index.html links it). */
export const MANIFEST = 'manifest.webmanifest';
/** The icons, relative to the build (index.html links the first as the page's icon). */
export const ICONS = [
  { src: 'icons/raftlab.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
  { src: 'icons/raftlab-maskable.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'maskable' },
];

/** Reads colour token `name` (such as `--bg`) of the light theme (its first definition). */
export function token(css, name) {
  const m = css.match(new RegExp(`${name}\\s*:\\s*(#[0-9a-fA-F]{3,8})\\b`));
  if (!m) throw new Error(`postbuild: sw: the stylesheet defines no colour ${name}`);
  return m[1].toLowerCase();
}

/** The web manifest, its colours taken from the stylesheet `css`. */
export function manifest(css) {
  return {
    id: './',
    name: 'raftlab: watch Raft work',
    short_name: 'raftlab',
    description:
      'Watch the Raft consensus algorithm work: elections, heartbeats, log replication, crashes and partitions, reproducible from a seed.',
    lang: 'en',
    start_url: './',
    scope: './',
    display: 'standalone',
    // The top bar's colour (--panel) and the page's (--bg), light theme.
    theme_color: token(css, '--panel'),
    background_color: token(css, '--bg'),
    categories: ['education'],
    icons: ICONS,
  };
}

/** Every file under `dir`, as sorted '/'-separated paths relative to it, sw.js excepted. */
export async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'))
    .filter((name) => name !== 'sw.js')
    .sort();
}

/**
 * The build's files with their integrity (`[name, 'sha256-<base64>']`) and its version: the
 * first 16 hex digits of the SHA-256 of every name and content, and of `template` (the
 * worker's own code, so that a change of the worker alone is a new version too).
 */
export async function fingerprint(dir, template = '') {
  const all = createHash('sha256').update(template);
  const files = [];
  for (const name of await listFiles(dir)) {
    const body = await readFile(path.join(dir, name));
    files.push([name, `sha256-${createHash('sha256').update(body).digest('base64')}`]);
    all.update(`${name}\0${body.length}\0`).update(body);
  }
  return { version: all.digest('hex').slice(0, 16), files };
}

/** The service worker: the template with `version` and `files` filled in. */
export function serviceWorker(template, version, files) {
  const fill = (text, placeholder, value) => {
    const parts = text.split(placeholder);
    if (parts.length !== 2) {
      throw new Error(`postbuild: sw: ${TEMPLATE} must contain ${placeholder} exactly once (found ${parts.length - 1})`);
    }
    return parts.join(value);
  };
  const list = `[\n${files.map((f) => `  ${JSON.stringify(f)},`).join('\n')}\n]`;
  return fill(fill(template, "'{{VERSION}}'", JSON.stringify(version)), '/* {{FILES}} */ []', list);
}

/** Writes the manifest and sw.js into `build.dir`; `build.css`, if given, is the stylesheet. */
export async function run(build) {
  const { dir } = build;
  const css = await readFile(build.css ? path.join(dir, build.css) : path.join(ROOT, 'www/style.css'), 'utf8');
  for (const icon of ICONS) {
    await readFile(path.join(dir, icon.src)).catch(() => {
      throw new Error(`postbuild: sw: ${dir}/${icon.src} is missing (index.html copies www/icons/ into the build)`);
    });
  }
  await writeFile(path.join(dir, MANIFEST), JSON.stringify(manifest(css), null, 2) + '\n');
  const template = await readFile(TEMPLATE, 'utf8');
  const { version, files } = await fingerprint(dir, template);
  await writeFile(path.join(dir, 'sw.js'), serviceWorker(template, version, files));
  return `sw.js: version ${version}, ${files.length} files`;
}

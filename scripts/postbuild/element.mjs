// Post-build step 'element' (see scripts/postbuild.mjs): the <raft-lab> custom element.
//
// Writes into the build directory:
//   raft-lab.js   www/raft-lab.js with the build's hashed file names filled in (authors link
//                 to this unhashed name; it finds the other files relative to its own URL);
//   raft-lab.css  the page's stylesheet adapted to the element's shadow root (shadowCss);
//   examples/embed/index.html  a host page with two elements and a frame (examples/embed/).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The root font size of the compact page (`html.embed` in www/style.css), for `rem`. */
const REM = '13px';

/** Splits CSS text (without comments) at its top-level blocks: [{ head, body }], then { text }. */
function blocks(css) {
  const out = [];
  let i = 0;
  while (i < css.length) {
    const open = css.indexOf('{', i);
    if (open < 0) {
      out.push({ text: css.slice(i) });
      break;
    }
    let depth = 1;
    let j = open + 1;
    for (; j < css.length && depth > 0; j++) {
      if (css[j] === '{') depth++;
      else if (css[j] === '}') depth--;
    }
    out.push({ head: css.slice(i, open), body: css.slice(open + 1, j - 1) });
    i = j;
  }
  return out;
}

/** A selector list of the page made for the shadow root: the document's root is the element's. */
function selectors(head) {
  return head
    .split(',')
    .map((s) =>
      s
        .replace(/(^|[\s>+~(])(?:html|:root|body)(?=$|[\s.:[>+~)])/g, '$1[data-raftlab-root]'),
    )
    .join(',');
}

/** Viewport units measured on the element instead (its root is a container), and `rem`. */
function units(body) {
  return body
    .replace(/(\d*\.?\d+)(?:d|s|l)?v(h|w)\b/g, '$1cq$2')
    .replace(/(\d*\.?\d+)rem\b/g, (_, n) => `calc(${n} * var(--rl-rem))`);
}

/**
 * The page's stylesheet for a shadow root: `:root`, `html` and `body` become the element's
 * root (`[data-raftlab-root]`, which carries the classes and attributes the page puts on
 * `<html>`: embed, readonly, data-theme); viewport units and size media queries refer to the
 * element (`@container raftlab`); `rem` is the compact page's 13px. Colour-scheme and motion
 * queries stay media queries.
 */
export function shadowCss(css) {
  const walk = (text) =>
    blocks(text)
      .map((b) => {
        if (b.text !== undefined) return b.text;
        const head = b.head.trim();
        if (head.startsWith('@media')) {
          const sized = /\((?:min-|max-)?(?:width|height|aspect-ratio)\b/.test(head);
          const at = sized ? head.replace(/^@media/, '@container raftlab') : head;
          return `\n${at} {${walk(b.body)}}`;
        }
        if (head.startsWith('@')) return `\n${head} {${b.body}}`;
        return `\n${selectors(head)} {${units(b.body)}}`;
      })
      .join('');
  return `/* raftlab's stylesheet for the <raft-lab> element's shadow root (scripts/postbuild/element.mjs). */
[data-raftlab-root] { --rl-rem: ${REM}; }
${walk(css.replace(/\/\*[\s\S]*?\*\//g, ''))}
`;
}

export async function run(build) {
  const { dir, glue, wasm, css } = build;
  const source = await readFile(path.join(ROOT, 'www/raft-lab.js'), 'utf8');
  const fill = { __RAFTLAB_GLUE__: glue, __RAFTLAB_WASM__: wasm };
  let script = source;
  for (const [key, value] of Object.entries(fill)) {
    const quoted = `'${key}'`;
    if (!script.includes(quoted)) throw new Error(`element: www/raft-lab.js has no ${quoted}`);
    script = script.replace(quoted, JSON.stringify(value));
  }
  await writeFile(path.join(dir, 'raft-lab.js'), script);
  const style = shadowCss(await readFile(path.join(dir, css), 'utf8'));
  await writeFile(path.join(dir, 'raft-lab.css'), style);
  const example = path.join(dir, 'examples/embed');
  await mkdir(example, { recursive: true });
  await writeFile(path.join(example, 'index.html'), await readFile(path.join(ROOT, 'examples/embed/index.html')));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  return `raft-lab.js ${kb(script.length)}, raft-lab.css ${kb(style.length)}, examples/embed/`;
}

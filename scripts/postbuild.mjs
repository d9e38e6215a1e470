// Trunk's post-build hook (Trunk.toml [[hooks]]): finishes the staged build in
// $TRUNK_STAGING_DIR (or the directory given as the first argument) before Trunk moves it
// to dist/. The steps run in this order, each in its own module of scripts/postbuild/:
//   1. prerender.mjs  puts the first frame, drawn by the page's own code, into index.html;
//   2. element.mjs    writes raft-lab.js, the <raft-lab> element's script, and its styles;
//   3. sw.mjs         writes the service worker (sw.js) with the build's file list and a
//                     version computed from their contents, and the web manifest.
// Each step gets the build's facts (`build`): the directory and the hashed names Trunk gave
// the wasm-bindgen glue, the wasm and the stylesheet.
//
//   node scripts/postbuild.mjs [DIR]
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? process.env.TRUNK_STAGING_DIR ?? 'dist');

/** The hashed file names of a Trunk build, read from its index.html. */
export async function buildFacts(dir) {
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  const find = (re, what) => {
    const m = html.match(re);
    if (!m) throw new Error(`postbuild: ${dir}/index.html names no ${what}`);
    return m[1];
  };
  return {
    dir,
    glue: find(/from '\.\/(raftlab-web-[0-9a-f]+\.js)'/, 'wasm-bindgen glue (raftlab-web-*.js)'),
    wasm: find(/'\.\/(raftlab-web-[0-9a-f]+_bg\.wasm)'/, 'wasm (raftlab-web-*_bg.wasm)'),
    css: find(/href="\.\/(style-[0-9a-f]+\.css)"/, 'stylesheet (style-*.css)'),
  };
}

const build = await buildFacts(dir);
for (const step of ['prerender', 'element', 'sw']) {
  const mod = await import(`./postbuild/${step}.mjs`);
  const started = Date.now();
  const note = await mod.run(build);
  console.log(`postbuild: ${step}: ${note ?? 'done'} (${Date.now() - started} ms)`);
}

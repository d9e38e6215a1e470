// A tiny static file server for the browser tests and the perf script (node:http only).
//
//   import { start } from './server.mjs';
//   const { url, close, requests } = await start('dist', '/some/sub/path/');
//   // url = 'http://127.0.0.1:PORT/some/sub/path/'
//
// Serves the files of `dir` under the base path `base` (default '/'), on 127.0.0.1 and a free
// port. A path ending in '/' serves its index.html. Anything outside `base`, outside `dir` or
// missing is a 404. Every request is recorded in `requests` (method, path, status, bytes) so
// that a test can check what the page fetched. With `{ gzip: true }` it serves text and wasm
// gzip-compressed (level 9, Content-Encoding: gzip) to a client that accepts it, as a real
// static host would (scripts/perf.mjs measures that way). Run directly to serve by hand:
//   node tests/e2e/server.mjs dist [/base/] [port]
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Starts serving `dir` under `base`. Resolves to { url, port, close(), requests }.
 * `port` 0 (the default) picks a free one; `gzip` compresses the responses (see above).
 */
export async function start(dir, base = '/', { port = 0, host = '127.0.0.1', gzip = false, cors = false } = {}) {
  if (!base.startsWith('/')) base = '/' + base;
  if (!base.endsWith('/')) base += '/';
  const root = path.resolve(dir);
  const requests = [];
  const packed = new Map(); // file -> its gzip body (the build does not change while served)

  const server = createServer(async (req, res) => {
    const record = { method: req.method, path: req.url, status: 0, bytes: 0 };
    requests.push(record);
    const send = (status, headers, body) => {
      record.status = status;
      record.bytes = body ? body.length : 0;
      // `cors`: as a host that lets pages of other origins load its files (GitHub Pages does).
      res.writeHead(status, { 'Cache-Control': 'no-store', ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }, Buffer.from('method not allowed\n'));
      }
      let pathname = new URL(req.url, 'http://x').pathname;
      try {
        pathname = decodeURIComponent(pathname);
      } catch {
        return send(400, { 'Content-Type': 'text/plain' }, Buffer.from('bad path\n'));
      }
      // The base without its trailing slash redirects to the base (as a real host would).
      if (pathname + '/' === base) {
        record.status = 301;
        res.writeHead(301, { Location: base });
        return res.end();
      }
      if (!pathname.startsWith(base)) {
        return send(404, { 'Content-Type': 'text/plain' }, Buffer.from('not found\n'));
      }
      let rel = pathname.slice(base.length);
      if (rel === '' || rel.endsWith('/')) rel += 'index.html';
      const file = path.resolve(root, rel);
      if (file !== root && !file.startsWith(root + path.sep)) {
        return send(404, { 'Content-Type': 'text/plain' }, Buffer.from('not found\n'));
      }
      let info;
      try {
        info = await stat(file);
      } catch {
        info = null;
      }
      if (!info || !info.isFile()) {
        return send(404, { 'Content-Type': 'text/plain' }, Buffer.from('not found\n'));
      }
      const body = await readFile(file);
      const type = mimeType(file);
      const compressible = /^text\/|javascript|json|wasm|svg|xml/.test(type);
      if (gzip && compressible && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        if (!packed.has(file)) packed.set(file, gzipSync(body, { level: 9 }));
        const z = packed.get(file);
        const headers = { 'Content-Type': type, 'Content-Encoding': 'gzip', 'Content-Length': z.length, Vary: 'Accept-Encoding' };
        return send(200, headers, z);
      }
      return send(200, { 'Content-Type': type, 'Content-Length': body.length }, body);
    } catch (err) {
      return send(500, { 'Content-Type': 'text/plain' }, Buffer.from(`server error: ${err.message}\n`));
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  const url = `http://${host}:${actualPort}${base}`;
  return {
    url,
    port: actualPort,
    origin: `http://${host}:${actualPort}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// node tests/e2e/server.mjs DIR [BASE] [PORT]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir = 'dist', base = '/', port = '8080'] = process.argv.slice(2);
  const { url } = await start(dir, base, { port: Number(port) });
  console.log(`serving ${dir} at ${url} (Ctrl-C stops)`);
}

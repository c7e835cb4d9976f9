// A tiny static server for the browser example (no dependencies):
//   /            examples/browser  (index.html, app.js, style.css)
//   /pollflow/   wasm/npm          (the npm package: dist/index.js, dist/pollflow_wasm_bg.wasm, ...)
// index.html maps the bare specifier 'pollflow' to /pollflow/dist/index.js with an import map.
// With `root` it serves one folder instead: the test serves the Vite build so.
//
//   node serve.mjs [PORT] [FOLDER]   (PORT: default 8080, 0 picks a free port; FOLDER: serve it
//                                    alone, such as the Vite build) — prints the URL to open
//
// The test imports startServer() and listens on port 0.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, isAbsolute, join, normalize, relative, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What is served from where: this folder and the package by default, or one folder (`root`). */
const ROOTS = [
  ['/pollflow/', fileURLToPath(new URL('../../wasm/npm/', import.meta.url))],
  ['/', fileURLToPath(new URL('./', import.meta.url))],
];

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** Maps a URL path to a file path inside one of the `roots`, or null. */
function resolve(roots, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  for (const [prefix, dir] of roots) {
    if (!decoded.startsWith(prefix)) continue;
    let rest = decoded.slice(prefix.length);
    if (rest === '' || rest.endsWith('/')) rest += 'index.html';
    const file = normalize(join(dir, rest));
    // No escaping the root (../), and nothing from node_modules or dot-files.
    const inside = relative(dir, file);
    if (inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).some((part) => part === 'node_modules' || part.startsWith('.'))) {
      return null;
    }
    return file;
  }
  return null;
}

async function handle(roots, request, response) {
  const { pathname } = new URL(request.url, 'http://localhost');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (pathname === '/pollflow') {
    response.writeHead(301, { location: '/pollflow/' }).end();
    return;
  }
  const file = resolve(roots, pathname);
  const info = file && (await stat(file).catch(() => null));
  if (!info?.isFile()) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}\n`);
    return;
  }
  response.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-store',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file).on('error', () => response.destroy()).pipe(response);
}

/**
 * Starts the server; resolves with { server, url } once it listens. `root`: serve that folder
 * alone at `/` (the Vite build, target/browser-test/vite).
 */
export function startServer({ port = 8080, host = '127.0.0.1', root } = {}) {
  const roots = root ? [['/', root]] : ROOTS;
  const server = createServer((request, response) => {
    handle(roots, request, response).catch((error) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: actual } = server.address();
      resolvePromise({ server, url: `http://${host}:${actual}/` });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  const root = process.argv[3] && resolvePath(process.argv[3]); // e.g. the Vite build
  const { url } = await startServer({ port, root });
  console.log(`pollflow browser example: ${url}`);
  console.log(`  ${url}?autostart        start at once`);
  console.log(`  ${url}?autostart&fail   a job that fails`);
  console.log('Ctrl-C to stop');
}

// Serves the example page on http://127.0.0.1:8000 (PORT=... or --port N to change it).
// 127.0.0.1 and localhost count as secure origins, which the microphone needs.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVED = new Map([
  ['/', ['index.html', 'text/html; charset=utf-8']],
  ['/index.html', ['index.html', 'text/html; charset=utf-8']],
  ['/style.css', ['style.css', 'text/css; charset=utf-8']],
  ['/build/app.js', ['build/app.js', 'text/javascript; charset=utf-8']],
  ['/build/app.js.map', ['build/app.js.map', 'application/json']],
]);

// Starts the server; resolves to {url, close()} once it listens.
export async function serveExample({ host = '127.0.0.1', port = 8000 } = {}) {
  try {
    await fs.access(path.join(HERE, 'build', 'app.js'));
  } catch {
    throw new Error('build/app.js is missing: run `npm run build` first');
  }
  const server = http.createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    const served = SERVED.get(pathname);
    if (!served) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await fs.readFile(path.join(HERE, served[0]));
      response.writeHead(200, { 'content-type': served[1], 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = process.argv.indexOf('--port');
  const port = Number(flag >= 0 ? process.argv[flag + 1] : process.env.PORT ?? 8000);
  try {
    const { url } = await serveExample({ port });
    console.log(`example page on ${url}/ (Ctrl-C to stop)`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}

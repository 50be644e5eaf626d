// Starting and stopping a Carillon server process for the Node suites (tests/js-sdk, tests/browser):
// the binary, its environment, the ready lines it prints on standard output. Node's own modules
// only, so that every suite can import it whatever it installs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The server prints these once each listener is bound; the main API's line comes last.
const READY = /carillon listening on (http:\/\/\S+)/;
const LEGACY_READY = /carillon legacy API listening on (http:\/\/\S+)/;
const ADMIN_READY = /carillon admin listening on (http:\/\/\S+)/;
const STARTUP_TIMEOUT_MS = 20000;
const STDERR_KEPT = 64 * 1024;

// The server binary: CARILLON_BIN (relative paths are taken from the repository's root), else the
// debug build.
export function carillonBinary() {
  const configured = process.env.CARILLON_BIN;
  const binary = configured
    ? path.resolve(REPO_ROOT, configured)
    : path.join(REPO_ROOT, 'target', 'debug', 'carillon');
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(
      `carillon binary not found at ${binary}: build it with \`cargo build --bin carillon\` ` +
        'or point CARILLON_BIN at it',
    );
  }
  return binary;
}

// Starts `carillon` with exactly `args` (the caller chooses its listeners and store), and
// resolves once it is ready to {endpoint, legacyEndpoint, adminEndpoint (null when that listener
// is off), stderr(), stop()}. Rejects with the server's standard error if it exits or is not ready
// in time. `echo` also copies the server's standard error to this process's.
export async function startCarillonProcess(args, { echo = false } = {}) {
  const binary = carillonBinary();
  // The caller's CARILLON_* variables (CARILLON_BIN at least) are settings of the server too:
  // none of them may leak into it.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CARILLON_')),
  );
  env.RUST_LOG = process.env.RUST_LOG ?? 'warn';
  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (echo) process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Never outlive the test process, however it ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  exited.then(() => process.off('exit', killOnExit));

  const endpoints = { legacy: null, admin: null };
  const lines = readline.createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      endpoints.legacy ??= LEGACY_READY.exec(line)?.[1] ?? null;
      endpoints.admin ??= ADMIN_READY.exec(line)?.[1] ?? null;
      const main = READY.exec(line);
      if (main) resolve(main[1]);
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`carillon exited (${signal ?? code}) before it was ready:\n${stderr}`)));
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`carillon was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${stderr}`)),
      STARTUP_TIMEOUT_MS,
    );
  });
  let endpoint;
  try {
    endpoint = await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // Keep reading standard output, so that the server never blocks on a full pipe.
  lines.on('line', () => {});

  return {
    endpoint,
    legacyEndpoint: endpoints.legacy,
    adminEndpoint: endpoints.admin,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(killer);
    },
  };
}

// @ts-check
// The real tchatche server for the end-to-end tests: the binary built by
// `cargo build -p tchatche` (debug builds read web/dist from disk, so the
// client under test is the last `npm run build`), started on a free loopback
// port with a throw-away data folder, and stopped with SIGTERM sent to the
// exact process it started — never by name: other servers may run here.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
/** The server binary: `TCHATCHE_BIN`, or the workspace's debug build. */
export const SERVER_BIN =
  process.env.TCHATCHE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'tchatche');

/** How long the server may take to answer /readyz after its start. */
const READY_TIMEOUT_MS = 20_000;
/** How long it may take to exit after SIGTERM (its grace period is shortened below). */
const STOP_TIMEOUT_MS = 15_000;

/** A port nobody listens on now (the kernel picks it; we release it at once). */
async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} ServerOptions
 * @property {Record<string, string>} [env] extra `TCHATCHE_*` settings
 */

/** One server process, which can be stopped and started again on the same port and data folder. */
export class TchatcheServer {
  /** @param {ServerOptions} [options] */
  constructor(options = {}) {
    this.env = options.env ?? {};
    this.dataRoot = mkdtempSync(join(tmpdir(), 'tchatche-e2e-'));
    this.port = 0;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
    /** The last lines the server printed, shown when something fails. */
    /** @type {string[]} */
    this.log = [];
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server (on a new free port the first time) and waits until /readyz answers 200. */
  async start() {
    if (!existsSync(SERVER_BIN)) {
      throw new Error(`${SERVER_BIN} not found: build it with \`cargo build -p tchatche\` (or set TCHATCHE_BIN)`);
    }
    if (this.port === 0) this.port = await freePort();
    const child = spawn(SERVER_BIN, [], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        RUST_LOG: process.env.RUST_LOG ?? 'info',
        TCHATCHE_HTTP_ADDR: `127.0.0.1:${this.port}`,
        TCHATCHE_IRC_ADDR: '127.0.0.1:0',
        TCHATCHE_DATA_DIR: join(this.dataRoot, 'data'),
        TCHATCHE_SHUTDOWN_GRACE_SECS: '1',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (/** @type {Buffer} */ chunk) => {
      this.log.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const outcome = await Promise.race([
        exited.then((status) => ({ exited: status })),
        fetch(`${this.url}/readyz`).then(
          (response) => ({ ready: response.status === 200 }),
          () => ({ ready: false }),
        ),
      ]);
      if ('exited' in outcome) {
        this.child = null;
        throw new Error(`the server exited during start-up (${JSON.stringify(outcome.exited)}):\n${this.tail()}`);
      }
      if (outcome.ready) return;
      // Not listening yet: ask again shortly (a poll of the server, not a wait for luck).
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.stop();
    throw new Error(`the server did not answer /readyz within ${READY_TIMEOUT_MS} ms:\n${this.tail()}`);
  }

  /** Sends SIGTERM to the process this object started and waits for it to exit. */
  async stop() {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Has the next `start` read this configuration file (written into the
   * data folder, named by `TCHATCHE_CONFIG`): for settings no environment
   * variable sets, such as `[staff]`.
   * @param {string} toml
   */
  configure(toml) {
    const path = join(this.dataRoot, 'tchatche.toml');
    writeFileSync(path, toml);
    this.env = { ...this.env, TCHATCHE_CONFIG: path };
  }

  /** Stops the server and removes its data folder. */
  async dispose() {
    await this.stop();
    rmSync(this.dataRoot, { recursive: true, force: true });
  }

  /** The server's last lines of output, for failure messages. */
  tail(lines = 30) {
    return this.log.slice(-lines).join('\n');
  }
}

/** Starts a server; the caller disposes of it in `after`. */
export async function startServer(/** @type {ServerOptions} */ options = {}) {
  const server = new TchatcheServer(options);
  await server.start();
  return server;
}

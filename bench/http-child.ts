/**
 * Child processes of the HTTP suite, spoken to over IPC one message at a time, and the bundle the
 * server processes run.
 *
 * @module
 */

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles a TypeScript file of this folder and its sources into `.bench/<name>.mjs`, and returns
 * the bundle's path. The packages stay external, as they are for a user's build.
 *
 * Why not run the file through tsx: tsx compiles with esbuild's `keepNames`, which wraps every
 * named closure in a call that defines its `name` property, each time the closure is created. A
 * request handler that creates a few named closures per request pays for those calls on every
 * request, and the published build (tsup, without `keepNames`) does not. Bundled the way tsup
 * builds, the server runs the code users run.
 *
 * @example
 * const script = await bundle('http-server.ts');
 */
export async function bundle(file: string): Promise<string> {
  const outfile = fileURLToPath(
    new URL(`../.bench/${file.replace(/\.ts$/, '.mjs')}`, import.meta.url),
  );
  await build({
    entryPoints: [fileURLToPath(new URL(file, import.meta.url))],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
  });
  return outfile;
}

/** How a child is started: a bundled script as it is, a TypeScript one through tsx. */
function execArgvFor(script: string): string[] {
  return script.endsWith('.ts') ? ['--import', 'tsx'] : [];
}

/** How long a child may take to exit once its channel is closed before it is killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * A child process that answers each message with one message.
 *
 * @example
 * const [load] = await Child.start(fileURLToPath(new URL('http-load.ts', import.meta.url)), []);
 * const result = await load.ask<LoadResult>({ type: 'run', ... });
 * await load.stop();
 */
export class Child {
  readonly #process: ChildProcess;
  readonly #received: unknown[] = [];
  #waiting: { resolve: (message: unknown) => void; reject: (error: Error) => void } | undefined;
  #exit: Error | undefined;

  private constructor(script: string, args: readonly string[]) {
    this.#process = fork(script, args, {
      cwd: root,
      execArgv: execArgvFor(script),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#process.on('message', (message) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting === undefined) this.#received.push(message);
      else waiting.resolve(message);
    });
    this.#process.once('exit', (code, signal) => {
      this.#exit = new Error(`${script} exited (${signal ?? `code ${String(code)}`})`);
      this.#waiting?.reject(this.#exit);
      this.#waiting = undefined;
    });
  }

  /** Forks `script` and resolves with the child and its first message, once it has sent one. */
  static async start<T>(script: string, args: readonly string[]): Promise<[Child, T]> {
    const child = new Child(script, args);
    return [child, await child.next<T>()];
  }

  /** The next message from the child; rejects if the child exits first. */
  next<T>(): Promise<T> {
    const received = this.#received.shift();
    if (received !== undefined) return Promise.resolve(received as T);
    if (this.#exit !== undefined) return Promise.reject(this.#exit);

    return new Promise<T>((resolve, reject) => {
      this.#waiting = { resolve: resolve as (message: unknown) => void, reject };
    });
  }

  /** Sends a message and resolves with the child's answer. */
  ask<T>(message: object): Promise<T> {
    this.#process.send(message);
    return this.next<T>();
  }

  /** Closes the channel, which the child takes as its cue to exit, and waits until it has. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;

    const exited = new Promise((resolve) => this.#process.once('exit', resolve));
    if (this.#process.connected) this.#process.disconnect();
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), EXIT_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The Hono adapter on Bun, Deno and workerd: the adapter and a scenario are bundled into one ESM
 * file, which each runtime runs in its own process (Bun and Deno also serve it over HTTP on
 * 127.0.0.1). The runtimes come from npm devDependencies; a runtime whose binary is absent is
 * skipped, with the reason.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Observations } from './hono-scenario.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
/** Each runtime run is killed after this long, whatever it is doing. */
const runTimeoutMs = 60_000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { ...options, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
      },
    );
  });
}

async function answersVersion(binary: string): Promise<boolean> {
  if (!existsSync(binary)) return false;
  return (await run(binary, ['--version'], { timeoutMs: 15_000 })).code === 0;
}

/** A runtime binary, or why there is none. */
type Located = { binary: string } | { missing: string };

async function locateBun(): Promise<Located> {
  let directory: string;
  try {
    directory = dirname(require.resolve('bun/package.json'));
  } catch {
    return { missing: 'the bun package is not installed' };
  }

  const binary = join(directory, 'bin', 'bun.exe');
  if (await answersVersion(binary)) return { binary };
  // npm skips install scripts: run bun's own, which moves the platform package's binary here.
  await run(process.execPath, [join(directory, 'install.js')], { timeoutMs: 120_000 });
  if (await answersVersion(binary)) return { binary };
  return { missing: `no runnable bun binary at ${binary}` };
}

async function locateDeno(): Promise<Located> {
  try {
    // The deno package's installer API links the platform package's binary; no download.
    const api = require('deno/install_api.cjs') as { runInstall: () => string };
    const binary = api.runInstall();
    if (await answersVersion(binary)) return { binary };
    return { missing: `no runnable deno binary at ${binary}` };
  } catch (error) {
    return { missing: `deno is not installed (${String(error)})` };
  }
}

async function locateWorkerd(): Promise<Located> {
  try {
    const binary = (require('workerd') as { default: string }).default;
    if (await answersVersion(binary)) return { binary };
    return { missing: `no runnable workerd binary at ${binary}` };
  } catch (error) {
    return { missing: `workerd is not installed (${String(error)})` };
  }
}

const workerdConfig = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "scenario", worker = .worker)],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2025-09-01",
);
`;

interface Report {
  ok: boolean;
  error?: string;
  runtime?: string;
  inProcess?: Observations;
  http?: Observations;
}

/** The JSON line a scenario entry prints last. */
function reportOf(result: RunResult): Report {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Report;
  } catch {
    return {
      ok: false,
      error: `no report (exit ${result.code}): ${result.stdout}${result.stderr}`,
    };
  }
}

function expectScenarioPassed(observations: Observations | undefined): void {
  expect(observations).toMatchObject({
    rejectedStatus: 429,
    guardedWhileSaturated: 429,
    afterDrain: [202, 202],
    bodyErrors: [400, 413, 415],
    statusCapacity: 8,
    processedOnce: true,
    closing: [503, 503],
  });
  expect(observations?.acceptedBeforeSaturation).toBeGreaterThan(0);
  expect(observations?.retryAfter).toMatch(/^[1-9]\d*$/);
}

describe('hono adapter on other runtimes', () => {
  let directory = '';

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'backpressure-runtimes-'));
    await build({
      absWorkingDir: root,
      entryPoints: {
        main: 'test/runtimes/hono-main.ts',
        worker: 'test/runtimes/hono-worker.ts',
      },
      bundle: true,
      format: 'esm',
      // Neutral: a Node built-in reaching the bundle fails the build instead of working by luck.
      platform: 'neutral',
      target: 'es2022',
      outdir: directory,
      outExtension: { '.js': '.mjs' },
      logLevel: 'silent',
    });
    await writeFile(join(directory, 'config.capnp'), workerdConfig);
  });

  afterAll(async () => {
    if (directory !== '') await rm(directory, { recursive: true, force: true });
  });

  it(
    'runs the scenario on Bun, in process and over Bun.serve',
    { timeout: 240_000 },
    async (ctx) => {
      const bun = await locateBun();
      if ('missing' in bun) return ctx.skip(`Bun skipped: ${bun.missing}`);

      const result = await run(bun.binary, ['--no-install', 'main.mjs'], {
        cwd: directory,
        env: { ...process.env, NO_COLOR: '1' },
        timeoutMs: runTimeoutMs,
      });
      const report = reportOf(result);

      expect(report, result.stderr).toMatchObject({ ok: true, runtime: 'bun' });
      expectScenarioPassed(report.inProcess);
      expectScenarioPassed(report.http);
    },
  );

  it(
    'runs the scenario on Deno, in process and over Deno.serve',
    { timeout: 120_000 },
    async (ctx) => {
      const deno = await locateDeno();
      if ('missing' in deno) return ctx.skip(`Deno skipped: ${deno.missing}`);

      const result = await run(
        deno.binary,
        [
          'run',
          '--no-prompt',
          '--no-config',
          '--no-lock',
          '--no-remote',
          '--allow-net=127.0.0.1',
          'main.mjs',
        ],
        {
          cwd: directory,
          env: {
            ...process.env,
            NO_COLOR: '1',
            DENO_DIR: join(directory, 'deno'),
            DENO_NO_UPDATE_CHECK: '1',
          },
          timeoutMs: runTimeoutMs,
        },
      );
      const report = reportOf(result);

      expect(report, result.stderr).toMatchObject({ ok: true, runtime: 'deno' });
      expectScenarioPassed(report.inProcess);
      expectScenarioPassed(report.http);
    },
  );

  it(
    'runs the scenario on workerd, in a Worker test handler',
    { timeout: 120_000 },
    async (ctx) => {
      const workerd = await locateWorkerd();
      if ('missing' in workerd) return ctx.skip(`workerd skipped: ${workerd.missing}`);

      const result = await run(workerd.binary, ['test', 'config.capnp'], {
        cwd: directory,
        env: { ...process.env, NO_COLOR: '1' },
        timeoutMs: runTimeoutMs,
      });
      const report = reportOf(result);

      expect(result.code, result.stderr).toBe(0);
      expect(report, result.stderr).toMatchObject({ ok: true, runtime: 'workerd' });
      expectScenarioPassed(report.inProcess);
    },
  );
});

/**
 * One demo scenario: start a receiver process, flood it, let it drain, and gather what both
 * sides saw.
 *
 * @module
 */

import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { flood, type FloodOptions, type FloodResult } from './flood.js';
import { showProgress, type ProgressOutput, type ProgressSource } from './progress.js';
import type { ReceiverMessage, ReceiverReport, ReceiverSettings, Sample } from './protocol.js';

/** Everything one scenario produced. */
export interface ScenarioResult {
  readonly settings: ReceiverSettings;
  readonly flood: FloodResult;
  readonly receiver: ReceiverReport;
  /** The receiver's samples, oldest first. */
  readonly samples: readonly Sample[];
  /** When the flood ended, on the samples' time axis (milliseconds). */
  readonly floodEndedAtMs: number;
}

/** The longest a scenario may take before the receiver is killed and the demo fails. */
const scenarioTimeoutMs = 180_000;

/** The young generation's semi-space of each receiver process, in MiB (V8's default is 16). */
const semiSpaceMiB = 1;

const receiverPath = fileURLToPath(new URL('./receiver.ts', import.meta.url));

/**
 * Runs one scenario. The receiver is a child process started with the parent's own `execArgv`,
 * so the TypeScript loader the demo runs under (tsx) loads it too.
 *
 * @example
 * const result = await runScenario(settings, floodOptions, process.stdout);
 */
export async function runScenario(
  settings: ReceiverSettings,
  floodOptions: Omit<FloodOptions, 'origin'>,
  output: ProgressOutput,
): Promise<ScenarioResult> {
  const child = fork(receiverPath, [JSON.stringify(settings)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // A small young generation, for both receivers alike: RSS then follows the memory a receiver
    // holds on to rather than request garbage that V8 has not yet had a reason to collect.
    execArgv: [...process.execArgv, `--max-semi-space-size=${semiSpaceMiB}`],
  });
  const samples: Sample[] = [];
  let resolveReady: (port: number) => void = () => undefined;
  let resolveReport: (report: ReceiverReport) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (resolveReady = resolve));
  const reported = new Promise<ReceiverReport>((resolve) => (resolveReport = resolve));
  const progress: ProgressSource = {
    label: settings.mode,
    requests: floodOptions.requests,
    capacity: settings.mode === 'guarded' ? settings.capacity : undefined,
    phase: 'flooding',
    counters: undefined,
    sample: undefined,
    startedAt: performance.now(),
  };

  child.on('message', (message: ReceiverMessage) => {
    if (message.type === 'ready') resolveReady(message.port);
    else if (message.type === 'report') resolveReport(message.report);
    else {
      samples.push(message.sample);
      progress.sample = message.sample;
    }
  });
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`the receiver process exited early (code ${String(code)})`));
    });
  });
  const deadline = setTimeout(() => child.kill(), scenarioTimeoutMs);

  let stopProgress: (() => void) | undefined;
  let succeeded = false;
  try {
    const port = await Promise.race([ready, exited]);
    progress.startedAt = performance.now();
    stopProgress = showProgress(progress, output);
    const running = flood({ ...floodOptions, origin: `http://127.0.0.1:${port}` });
    progress.counters = running.counters;
    const floodResult = await Promise.race([running.done, exited]);
    const floodEndedAtMs = samples.at(-1)?.atMs ?? 0;

    progress.phase = 'draining';
    child.send({ type: 'drain' });
    const receiver = await Promise.race([reported, exited]);
    succeeded = true;
    return { settings, flood: floodResult, receiver, samples, floodEndedAtMs };
  } finally {
    stopProgress?.();
    clearTimeout(deadline);
    // A receiver that reported leaves by itself; one that failed is stopped here.
    if (child.exitCode === null && child.signalCode === null) {
      if (!succeeded) child.kill();
      await once(child, 'exit');
    }
  }
}

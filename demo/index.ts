/**
 * `npm run demo`: floods a webhook receiver and shows it holding its memory budget.
 *
 * A receiver built on the node:http adapter runs in a child process with deliberately slow
 * workers; this process floods it the way a sender catching up after an outage would, shows
 * progress, then prints the counts, peaks, dwell, `Retry-After` values and a chart of depth and
 * gate state. It exits with status 1 when any invariant fails, so CI can run it too.
 *
 *   npm run demo                                  5,000 POSTs, 200 at a time
 *   npm run demo -- --requests 600 --concurrency 50
 *   npm run demo -- --unguarded                   also flood an unguarded receiver, for contrast
 *   npm run demo -- --retry --time-scale 0.05     honour Retry-After (scaled) until all delivered
 *
 * @module
 */

import { parseArgs } from 'node:util';

import type { ReceiverSettings } from './protocol.js';
import { checkInvariants, formatComparison, formatScenario, type Check } from './report.js';
import { runScenario, type ScenarioResult } from './run.js';

const usage = `Usage: npm run demo -- [options]

  --requests N       webhook deliveries to send (default 5000)
  --concurrency N    deliveries in flight at once (default 200)
  --unguarded        also flood an unguarded receiver (unbounded queue, always 202) and compare
  --retry            honour Retry-After and resend every rejected event until it is accepted
  --time-scale X     multiply each Retry-After by X before waiting (default 0.05: 1 s -> 50 ms)
  --max-attempts N   attempts per event before the client gives up, with --retry (default 200)
  --capacity N       the guarded queue's capacity (default 500)
  --workers N        events processed at once (default 8)
  --work-ms N        milliseconds of work per event (default 10)
  --payload-bytes N  padding in each event, so queued events weigh what real ones do (default 16384)
  --help             show this text`;

/** The demo's settings, from the command line. */
interface DemoFlags {
  readonly requests: number;
  readonly concurrency: number;
  readonly unguarded: boolean;
  readonly retry: boolean;
  readonly timeScale: number;
  readonly maxAttempts: number;
  readonly capacity: number;
  readonly workers: number;
  readonly workMs: number;
  readonly payloadBytes: number;
}

function parseFlags(args: string[]): DemoFlags | undefined {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '200' },
      unguarded: { type: 'boolean', default: false },
      retry: { type: 'boolean', default: false },
      'time-scale': { type: 'string', default: '0.05' },
      'max-attempts': { type: 'string', default: '200' },
      capacity: { type: 'string', default: '500' },
      workers: { type: 'string', default: '8' },
      'work-ms': { type: 'string', default: '10' },
      'payload-bytes': { type: 'string', default: '16384' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;

  const timeScale = Number(values['time-scale']);
  if (!(timeScale >= 0 && timeScale <= 1)) {
    throw new RangeError(
      `Expected \`--time-scale\` to be between 0 and 1, got ${values['time-scale']}`,
    );
  }

  return {
    requests: positive('requests', values.requests),
    concurrency: positive('concurrency', values.concurrency),
    unguarded: values.unguarded,
    retry: values.retry,
    timeScale,
    maxAttempts: positive('max-attempts', values['max-attempts']),
    capacity: positive('capacity', values.capacity),
    workers: positive('workers', values.workers),
    workMs: positive('work-ms', values['work-ms']),
    payloadBytes: positive('payload-bytes', values['payload-bytes']),
  };
}

function positive(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected \`--${flag}\` to be a positive integer, got ${raw}`);
  }

  return value;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags === undefined) {
    console.log(usage);
    return;
  }

  const settings = (mode: ReceiverSettings['mode']): ReceiverSettings => ({
    mode,
    capacity: flags.capacity,
    highWatermark: 0.8,
    lowWatermark: 0.5,
    workers: flags.workers,
    workMs: flags.workMs,
    sampleEveryMs: 50,
  });
  const floodOptions = (retry: boolean) => ({
    requests: flags.requests,
    concurrency: flags.concurrency,
    payloadBytes: flags.payloadBytes,
    retry,
    timeScale: flags.timeScale,
    maxAttempts: flags.maxAttempts,
  });

  console.log(
    `backpressure demo: ${flags.requests} webhook POSTs of ${flags.payloadBytes} bytes, ` +
      `${flags.concurrency} at a time, to receivers with ${flags.workers} workers × ` +
      `${flags.workMs} ms` +
      (flags.retry ? `; the client honours Retry-After × ${flags.timeScale}` : '') +
      '\n',
  );

  const results: { result: ScenarioResult; retry: boolean }[] = [];
  const guarded = await runScenario(settings('guarded'), floodOptions(flags.retry), process.stdout);
  results.push({ result: guarded, retry: flags.retry });
  if (flags.unguarded) {
    const unguarded = await runScenario(settings('unguarded'), floodOptions(false), process.stdout);
    results.push({ result: unguarded, retry: false });
  }

  const checks: Check[] = [];
  for (const { result, retry } of results) {
    console.log(`\n${formatScenario(result, { retry }).join('\n')}`);
    const label = result.settings.mode;
    checks.push(
      ...checkInvariants(result, { retry }).map((c) => ({ ...c, text: `${label}: ${c.text}` })),
    );
  }

  const unguarded = results[1]?.result;
  if (unguarded !== undefined) console.log(`\n${formatComparison(guarded, unguarded).join('\n')}`);

  console.log('\nInvariants');
  for (const { ok, text } of checks) console.log(`  ${ok ? '✓' : '✗'} ${text}`);

  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed === 0 ? '\nAll invariants hold.' : `\n${failed} invariant(s) FAILED.`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

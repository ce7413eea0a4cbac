import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { renderChart } from '../../demo/chart.js';
import type { FloodResult } from '../../demo/flood.js';
import type { Sample } from '../../demo/protocol.js';
import { checkInvariants } from '../../demo/report.js';
import type { ScenarioResult } from '../../demo/run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `npm run demo` as CI would (stdout is a pipe, not a terminal) and gathers its output. */
function runDemo(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/index.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill(), 50_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function scenario(overrides: {
  accepted?: string[];
  processed?: string[];
  peakDepth?: number;
  undelivered?: string[];
  transportErrors?: number;
}): ScenarioResult {
  const accepted = overrides.accepted ?? ['a', 'b', 'c'];
  const flood: FloodResult = {
    counters: {
      answered: accepted.length,
      accepted: accepted.length,
      rejected: 0,
      unexpected: 0,
      transportErrors: overrides.transportErrors ?? 0,
      acceptedAfterRetry: 0,
    },
    acceptedIds: accepted,
    undeliveredIds: overrides.undelivered ?? [],
    retryAfterSeconds: new Map(),
    statuses: new Map([[202, accepted.length]]),
    firstError: undefined,
    durationMs: 1,
  };
  return {
    settings: {
      mode: 'guarded',
      capacity: 10,
      highWatermark: 0.8,
      lowWatermark: 0.5,
      workers: 1,
      workMs: 1,
      sampleEveryMs: 50,
    },
    flood,
    receiver: {
      processedIds: overrides.processed ?? accepted,
      peakDepth: overrides.peakDepth ?? 8,
      highWatermark: 8,
      lowWatermark: 5,
      baselineRssBytes: 1,
      peakRssBytes: 1,
      p95DwellMs: 1,
      maxDwellMs: 1,
    },
    samples: [],
    floodEndedAtMs: 0,
  };
}

function failures(result: ScenarioResult, retry = false): string[] {
  return checkInvariants(result, { retry })
    .filter((check) => !check.ok)
    .map((check) => check.text);
}

describe('demo invariants', () => {
  it('hold when every accepted event is processed exactly once', () => {
    expect(failures(scenario({}))).toEqual([]);
  });

  it('fail when an event is processed twice', () => {
    const result = scenario({ processed: ['a', 'b', 'b'] });
    expect(failures(result)).toEqual([
      'no event processed twice (1 duplicates)',
      'no accepted event lost (1 lost)',
    ]);
  });

  it('fail when an accepted event is never processed', () => {
    expect(failures(scenario({ processed: ['a', 'b'] }))).toEqual([
      'events processed (2) = 202 answers (3)',
      'no accepted event lost (1 lost)',
    ]);
  });

  it('fail when the queue went deeper than its capacity', () => {
    expect(failures(scenario({ peakDepth: 11 }))).toEqual(['peak depth (11) <= capacity (10)']);
  });

  it('fail on a transport error', () => {
    expect(failures(scenario({ transportErrors: 1 }))).toEqual(['no transport errors (1)']);
  });

  it('fail when a retrying client gave up on an event', () => {
    expect(failures(scenario({ undelivered: ['d'] }), true)).toEqual([
      'every event delivered once (3 of 4, 1 given up)',
    ]);
  });
});

describe('demo chart', () => {
  const sample = (atMs: number, depth: number, accepting: boolean): Sample => ({
    atMs,
    depth,
    accepting,
    pausedBy: accepting ? undefined : 'saturated',
    rssBytes: 0,
    processed: 0,
    drainRatePerSecond: 0,
  });

  it('draws both watermarks and the closed stretch of the gate', () => {
    const samples = [sample(0, 0, true), sample(50, 100, false), sample(100, 40, true)];
    const lines = renderChart(samples, {
      capacity: 100,
      highWatermark: 80,
      lowWatermark: 50,
      height: 10,
    });

    expect(lines.find((line) => line.includes('high watermark'))).toMatch(/^ {5}80 ┤╌█╌/);
    expect(lines.find((line) => line.includes('low watermark'))).toMatch(/^ {5}50 ┤┈█┈/);
    expect(lines.at(-1)).toBe('   gate  ·█·');
  });
});

describe('npm run demo', () => {
  it('floods a guarded receiver and exits 0 with every invariant holding', async () => {
    const { code, output } = await runDemo(['--requests', '600', '--concurrency', '50']);

    expect(output).toMatch(/202 Accepted +\d+/);
    expect(output).toMatch(/429 Too Many Requests +\d+/);
    expect(output).toMatch(/peak queue depth +\d+ of capacity 500/);
    expect(output).toMatch(/peak RSS +[\d.]+ MiB/);
    expect(output).toMatch(/p95 dwell +\d+ ms/);
    expect(output).toContain('high watermark');
    expect(output).toContain('All invariants hold.');
    expect(code).toBe(0);
  });

  it('delivers every event exactly once when the client honours Retry-After', async () => {
    const { code, output } = await runDemo([
      '--retry',
      '--requests',
      '300',
      '--concurrency',
      '100',
      '--capacity',
      '50',
    ]);

    expect(output).toContain('every event delivered once (300 of 300, 0 given up)');
    expect(output).toMatch(/events processed \(300\) = 202 answers \(300\)/);
    expect(output).toContain('All invariants hold.');
    expect(code).toBe(0);
  });

  it('exits non-zero on an invalid flag', async () => {
    const { code, output } = await runDemo(['--requests', '0']);

    expect(output).toContain('Expected `--requests` to be a positive integer, got 0');
    expect(code).toBe(1);
  });
});

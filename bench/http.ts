/**
 * The HTTP suite: what backpressure costs a real server, per framework, measured as CPU time per
 * request. Three kinds of process take part: this one, which only orchestrates; one server
 * process per framework and mode (http-server.ts), which measures itself; and one load generator
 * (http-load.ts, autocannon), so that neither of the others pays for generating load.
 *
 * For each framework the modes of http-apps.ts take turns, round after round (bare, guarded,
 * rejecting, bare, …), each round a few seconds of load on 50 keep-alive connections posting the
 * same small JSON body. On a shared two-core machine the throughput of one round can be half
 * that of the next, so the ratios are taken round by round between modes that ran side by side,
 * and they compare CPU time per request, which waiting for a core does not inflate. Throughput is
 * printed for context only.
 *
 * Targets: bare / guarded ≥ 0.97 (admitting costs at most about 3% over no backpressure at all)
 * and guarded / rejecting ≥ 1.5 (a rejection is cheap: shedding load must not itself become the
 * load). The same ratios are printed for @fastify/under-pressure and overload-protection.
 *
 * @module
 */

import { fileURLToPath } from 'node:url';

import type { Framework, Mode } from './http-apps.js';
import { ROUTE } from './http-apps.js';
import { bundle, Child } from './http-child.js';
import type { LoadCommand, LoadResult } from './http-load.js';
import type { ServerReady, ServerWindow } from './http-server.js';
import {
  formatNumber,
  formatTable,
  median,
  printTable,
  printTargets,
  summarize,
  summaryCells,
  type BenchOptions,
  type Row,
  type Suite,
  type Summary,
} from './stats.js';

const CONNECTIONS = 50;
const BODY = JSON.stringify({ id: 'evt_000123', type: 'order.created', amount: 4_200 });
const BARE_OVER_ADMITTING = 0.97;
const ADMITTING_OVER_REJECTING = 1.5;

/** One framework and the modes it is measured in; `peer` names the library compared with. */
interface Group {
  readonly framework: Framework;
  readonly title: string;
  readonly peer?: string;
}

const groups: readonly Group[] = [
  { framework: 'node', title: 'node:http' },
  { framework: 'express', title: 'Express 5', peer: 'overload-protection' },
  { framework: 'fastify', title: 'Fastify 5', peer: '@fastify/under-pressure' },
  { framework: 'koa', title: 'Koa 3' },
  { framework: 'hono', title: 'Hono on @hono/node-server' },
];

/** The status every response of a mode must have, or its figures describe something else. */
const expectedStatus: Readonly<Record<Mode, string>> = {
  bare: '202',
  guarded: '202',
  rejecting: '429',
  'peer-admitting': '202',
  'peer-rejecting': '503',
};

/** One mode's measurements, one entry per round. */
interface ModeRuns {
  readonly mode: Mode;
  readonly cpuMicrosPerRequest: number[];
  readonly requestsPerSecond: number[];
  readonly connections: number[];
  /** What went wrong in any round: unexpected statuses, errors, reconnections. */
  readonly problems: Set<string>;
}

/** A ratio of CPU per request between two modes, round by round, and whether both were sound. */
interface Ratio {
  readonly label: string;
  readonly target: number | undefined;
  readonly summary: Summary;
  readonly sound: boolean;
}

/**
 * The HTTP suite.
 *
 * @example
 * await httpSuite.run({ runs: 5, seconds: 2 });
 */
export const httpSuite: Suite = {
  name: 'http',
  title: 'HTTP servers: CPU time per request, without backpressure, admitting and rejecting',
  run: runHttp,
};

async function runHttp({ runs, seconds, quick = false }: BenchOptions): Promise<void> {
  const roundSeconds = seconds ?? (quick ? 0.5 : 2);
  const warmUpSeconds = quick ? 0.5 : 1;
  console.log(
    `${runs} rounds of ${roundSeconds} s per mode, modes in turn, after a ${warmUpSeconds} s ` +
      `warm-up; ${CONNECTIONS} keep-alive connections, autocannon in its own process\n`,
  );

  const serverScript = await bundle('http-server.ts');
  const [load] = await Child.start<unknown>(
    fileURLToPath(new URL('http-load.ts', import.meta.url)),
    [],
  );
  const ratios: Ratio[] = [];
  try {
    for (const group of groups) {
      const modes: Mode[] = ['bare', 'guarded', 'rejecting'];
      if (group.peer !== undefined) modes.push('peer-admitting', 'peer-rejecting');
      const servers = { script: serverScript, framework: group.framework, modes };
      const results = await runGroup(servers, load, runs, [warmUpSeconds, roundSeconds]);
      printGroup(group, results);
      ratios.push(...groupRatios(group, results));
    }
  } finally {
    await load.stop();
  }

  printTable(
    'Ratios of CPU time per request, round by round',
    ratios.map((ratio): Row => [ratio.label, ratio.summary, 2]),
  );
  console.log('Targets');
  printTargets(
    ratios
      .filter((ratio) => ratio.target !== undefined)
      .map((ratio) => [
        `${ratio.label} >= ${String(ratio.target)} (median)`,
        ratio.sound ? ratio.summary.median >= (ratio.target ?? 0) : undefined,
      ]),
  );
  console.log('');
}

/** A server process and the URL its route answers on. */
interface ServerProcess {
  readonly child: Child;
  readonly url: string;
}

/** The server processes of one framework: the bundled server script, run once per mode. */
interface ServerSet {
  readonly script: string;
  readonly framework: Framework;
  readonly modes: readonly Mode[];
}

/** Starts one server per mode, warms each up, then measures them in turn, round by round. */
async function runGroup(
  { script, framework, modes }: ServerSet,
  load: Child,
  runs: number,
  [warmUpSeconds, roundSeconds]: readonly [number, number],
): Promise<ModeRuns[]> {
  const servers = await Promise.all(modes.map((mode) => startServer(script, framework, mode)));
  const results = modes.map((mode): ModeRuns => ({
    mode,
    cpuMicrosPerRequest: [],
    requestsPerSecond: [],
    connections: [],
    problems: new Set(),
  }));

  try {
    // The warm-up lets each server's code be optimised; its figures are only checked.
    for (const [index, server] of servers.entries()) {
      await measure(server, load, warmUpSeconds, results[index]!, false);
    }

    for (let round = 0; round < runs; round++) {
      for (const [index, server] of servers.entries()) {
        await measure(server, load, roundSeconds, results[index]!, true);
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.child.stop()));
  }

  return results;
}

async function startServer(
  script: string,
  framework: Framework,
  mode: Mode,
): Promise<ServerProcess> {
  const [child, ready] = await Child.start<ServerReady>(script, [framework, mode]);
  return { child, url: `http://127.0.0.1:${ready.port}${ROUTE}` };
}

/** One window: the server measures itself while the load generator runs. */
async function measure(
  server: ServerProcess,
  load: Child,
  seconds: number,
  runs: ModeRuns,
  record: boolean,
): Promise<void> {
  await server.child.ask<unknown>({ type: 'start' });
  const command: LoadCommand = {
    type: 'run',
    url: server.url,
    seconds,
    connections: CONNECTIONS,
    body: BODY,
  };
  const result = await load.ask<LoadResult>(command);
  const window = await server.child.ask<ServerWindow>({ type: 'stop' });

  checkRound(runs, result, window);
  if (!record) return;

  runs.cpuMicrosPerRequest.push(window.cpuMicros / window.requests);
  runs.requestsPerSecond.push(result.requests / result.seconds);
  runs.connections.push(window.connections);
}

function checkRound(runs: ModeRuns, result: LoadResult, window: ServerWindow): void {
  const expected = expectedStatus[runs.mode];
  const others = Object.entries(result.statusCounts).filter(([status]) => status !== expected);
  if (others.length > 0) {
    const counts = others.map(([status, count]) => `${formatNumber(count)} × ${status}`);
    runs.problems.add(`responses other than ${expected}: ${counts.join(', ')}`);
  }

  if (result.errors > 0) runs.problems.add('connection errors or timeouts');
  if (window.requests === 0) runs.problems.add('no request reached the server');
  // Each connection opened beyond the generator's own means a response closed its connection.
  if (window.connections > CONNECTIONS) runs.problems.add('connections were not kept alive');
}

function modeLabel(mode: Mode, peer: string | undefined): string {
  switch (mode) {
    case 'bare':
      return 'bare (no backpressure)';
    case 'guarded':
      return 'backpressure, admitting (202)';
    case 'rejecting':
      return 'backpressure, rejecting (429)';
    case 'peer-admitting':
      return `${peer ?? ''}, admitting (202)`;
    case 'peer-rejecting':
      return `${peer ?? ''}, shedding (503)`;
  }
}

function printGroup(group: Group, results: readonly ModeRuns[]): void {
  const rows = results.map((runs) => [
    modeLabel(runs.mode, group.peer),
    ...summaryCells(summarize(runs.cpuMicrosPerRequest), 1),
    ...summaryCells(summarize(runs.requestsPerSecond), 0),
    formatNumber(median(runs.connections), 0),
  ]);
  const headers = ['', 'CPU µs/req', 'min', 'max', 'req/s', 'min', 'max', 'conns'];
  console.log(`${group.title}\n${formatTable(headers, rows)}\n`);

  for (const runs of results) {
    for (const problem of runs.problems) {
      console.log(`  ${modeLabel(runs.mode, group.peer)}: ${problem}`);
    }
  }

  if (results.some((runs) => runs.problems.size > 0)) console.log('');
}

/** The two ratios for backpressure, and for the peer library where there is one. */
function groupRatios(group: Group, results: readonly ModeRuns[]): Ratio[] {
  const byMode = new Map(results.map((runs) => [runs.mode, runs]));
  const ratio = (label: string, over: Mode, under: Mode, target?: number): Ratio => {
    const top = byMode.get(over)!;
    const bottom = byMode.get(under)!;
    const values = top.cpuMicrosPerRequest.map(
      (value, round) => value / (bottom.cpuMicrosPerRequest[round] ?? Number.NaN),
    );
    return {
      label: `${group.title}, ${label}`,
      target,
      summary: summarize(values),
      sound: top.problems.size === 0 && bottom.problems.size === 0,
    };
  };

  const ratios = [
    ratio('backpressure: bare / admitting', 'bare', 'guarded', BARE_OVER_ADMITTING),
    ratio('backpressure: admitting / rejecting', 'guarded', 'rejecting', ADMITTING_OVER_REJECTING),
  ];
  if (group.peer === undefined) return ratios;

  return [
    ...ratios,
    ratio(`${group.peer}: bare / admitting`, 'bare', 'peer-admitting'),
    ratio(`${group.peer}: admitting / shedding`, 'peer-admitting', 'peer-rejecting'),
  ];
}

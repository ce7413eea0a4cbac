/**
 * The benchmark runner: `npm run bench [-- <filter>] [--runs N] [--seconds S] [--quick]`.
 *
 * Runs every suite whose name contains the filter (all of them without one), in the order of the
 * list below, each figure being the median of `--runs` measured runs. `--seconds` sets the length
 * of a run for the suites that put a server under load; `--quick` is a smoke run (2 runs unless
 * `--runs` says otherwise, and short ones).
 *
 * @module
 */

import { parseArgs } from 'node:util';

import { coreSuite } from './core.js';
import { httpSuite } from './http.js';
import type { Suite } from './stats.js';

/** The suites, in the order they run. A new suite is one more entry here. */
const suites: readonly Suite[] = [coreSuite, httpSuite];

/** A mistake on the command line: reported as one line, without a stack trace. */
class UsageError extends Error {}

/** Parses the command line (a name filter and the flags above) and runs the suites. */
async function main(): Promise<void> {
  const { values, positionals } = parseCommandLine();
  const quick = values.quick;
  const runs = Number(values.runs ?? (quick ? 2 : 5));
  if (!Number.isInteger(runs) || runs < 1) {
    throw new UsageError(`Expected \`--runs\` to be a positive integer, got ${values.runs ?? ''}`);
  }

  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0 && seconds <= 60)) {
    throw new UsageError(
      `Expected \`--seconds\` to be between 0 and 60, got ${values.seconds ?? ''}`,
    );
  }

  const filter = positionals[0]?.toLowerCase();
  const selected = suites.filter((suite) => filter === undefined || suite.name.includes(filter));
  if (selected.length === 0) {
    const names = suites.map((suite) => suite.name).join(', ');
    throw new UsageError(`No suite matches "${filter ?? ''}"; the suites are: ${names}`);
  }

  console.log(`node ${process.version}, ${runs} runs per figure, medians with min/max\n`);
  for (const suite of selected) {
    console.log(`# ${suite.title}\n`);
    await suite.run({ runs, seconds, quick });
  }
}

function parseCommandLine(): ReturnType<typeof parse> {
  try {
    return parse();
  } catch (error) {
    // An unknown flag is most often a typo: say so in one line rather than with a stack trace.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parse() {
  return parseArgs({
    options: {
      runs: { type: 'string' },
      seconds: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? `bench: ${error.message}` : error);
  process.exitCode = 1;
});

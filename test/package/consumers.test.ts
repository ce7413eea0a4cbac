/**
 * The packed tarball installed into throwaway ESM, CommonJS and TypeScript projects that import
 * every subpath. The projects live inside the repository so that the frameworks, which are peer
 * dependencies, resolve from its node_modules as they would from a user's.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const consumers = join(root, '.consumers');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};
const specifiers = Object.keys(manifest.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => (subpath === '.' ? 'backpressure' : `backpressure/${subpath.slice(2)}`));

/** The frameworks each subpath may load; any other one loaded is a leak between adapters. */
const frameworks = ['express', 'fastify', 'koa', 'hono', 'prom-client', '@opentelemetry'];

function run(cwd: string, file: string, ...args: string[]): string {
  return execFileSync(file, args, { cwd, encoding: 'utf8' });
}

function project(kind: string, files: Record<string, string>): string {
  const dir = join(consumers, kind);
  const target = join(dir, 'node_modules', 'backpressure');
  mkdirSync(target, { recursive: true });
  run(target, 'tar', '-xzf', join(consumers, 'backpressure.tgz'), '--strip-components=1');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the packed package', () => {
  beforeAll(() => {
    rmSync(consumers, { recursive: true, force: true });
    mkdirSync(consumers, { recursive: true });
    const packed = run(root, 'npm', 'pack', '--silent', '--pack-destination', consumers).trim();
    run(consumers, 'mv', packed.split('\n').at(-1) ?? '', 'backpressure.tgz');
  });

  afterAll(() => {
    rmSync(consumers, { recursive: true, force: true });
  });

  it('imports every subpath from an ES module project', () => {
    const imports = specifiers
      .map((specifier, i) => `import * as m${i} from '${specifier}';`)
      .join('\n');
    const counts = specifiers.map((_, i) => `Object.keys(m${i}).length`).join(', ');
    const dir = project('esm', {
      'package.json': '{ "type": "module" }',
      'index.js': `${imports}\nconsole.log(JSON.stringify([${counts}]));`,
    });

    const counted = JSON.parse(run(dir, process.execPath, 'index.js')) as number[];
    expect(counted.every((count) => count > 0)).toBe(true);
  });

  it('requires every subpath from a CommonJS project', () => {
    const dir = project('cjs', {
      'package.json': '{ "type": "commonjs" }',
      'index.js': `const specifiers = ${JSON.stringify(specifiers)};
const counts = specifiers.map((s) => Object.keys(require(s)).length);
const { createBackpressure } = require('backpressure');
const receiver = createBackpressure({ process: () => {} });
receiver.push({ id: 1 }).then((decision) => {
  console.log(JSON.stringify({ counts, admitted: decision.admitted }));
  return receiver.close();
});`,
    });

    const result = JSON.parse(run(dir, process.execPath, 'index.js')) as {
      counts: number[];
      admitted: boolean;
    };
    expect(result.counts.every((count) => count > 0)).toBe(true);
    expect(result.admitted).toBe(true);
  });

  it('type-checks every subpath from a TypeScript project with node16 resolution', () => {
    const imports = specifiers
      .map((specifier, i) => `import * as m${i} from '${specifier}';`)
      .join('\n');
    const dir = project('ts', {
      'package.json': '{ "type": "module" }',
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          noEmit: true,
          // As most projects do: some framework typings (@types/koa's, today) fail their own
          // library check, which would hide what this test is about.
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['index.ts'],
      }),
      'index.ts': `${imports}
import { createBackpressure, type Slot } from 'backpressure';
const receiver = createBackpressure<{ id: number }>({ process: async (event) => { void event.id; } });
const admission = receiver.tryAdmit();
const slot: Slot<{ id: number }> | undefined = admission.admitted ? admission : undefined;
void slot;
export const loaded = [${specifiers.map((_, i) => `m${i}`).join(', ')}];
`,
    });

    let diagnostics = '';
    try {
      run(dir, join(root, 'node_modules', '.bin', 'tsc'), '-p', '.');
    } catch (error) {
      diagnostics = String((error as { stdout?: unknown }).stdout ?? error);
    }
    expect(diagnostics).toBe('');
  });

  it.each(specifiers)('loads no framework but its own for %s', (specifier) => {
    const dir = project('isolation', { 'package.json': '{ "type": "commonjs" }' });
    const script = `require(${JSON.stringify(specifier)});
console.log(JSON.stringify(Object.keys(require.cache)));`;
    const loaded = JSON.parse(run(dir, process.execPath, '-e', script)) as string[];
    const own = specifier.split('/')[1] ?? '';
    // prom-client itself depends on @opentelemetry/api (for exemplars).
    const expected: Record<string, string[]> = {
      prometheus: ['prom-client', '@opentelemetry'],
      otel: ['@opentelemetry'],
    };
    const allowed = expected[own] ?? [own];

    for (const framework of frameworks.filter((name) => !allowed.includes(name))) {
      expect(loaded.filter((path) => path.includes(`/node_modules/${framework}/`))).toEqual([]);
    }
  });
});

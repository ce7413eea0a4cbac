/**
 * Entry for workerd: a Worker whose test handler runs the scenario in process and prints one
 * JSON line with what it observed; a throw fails the test run.
 */

import { createScenario, runScenario } from './hono-scenario.js';

export default {
  async test(): Promise<void> {
    const scenario = createScenario();
    const inProcess = await runScenario(scenario, (path, init) =>
      Promise.resolve(scenario.app.request(path, init)),
    );
    console.log(JSON.stringify({ ok: true, runtime: 'workerd', inProcess }));
  },
};

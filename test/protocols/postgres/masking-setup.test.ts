/** Masking is set up from the connection login resolved, so a second lookup cannot skip it. */
import { Client, type ClientConfig } from 'pg';
import type { PostgresConnectionConfig } from '../../../gateway-image/src/config/connections';
import { type Harness, startHarness } from './harness';

let h: Harness;
let lookups = 0;
const masked: PostgresConnectionConfig[] = [];

beforeAll(async () => {
  h = await startHarness({
    hooks: {
      // Resolves once: a session that asked again would find nothing and relay results unmasked.
      resolveConnection: (name) => (name === 'clinic' && lookups++ === 0 ? h.connection : undefined),
      masking: async (_principal, config) => {
        masked.push(config);
        return undefined;
      },
    },
  });
}, 60_000);

afterAll(() => h?.close());

it('asks the masking hook with the connection login resolved, looked up once', async () => {
  const c = new Client(h.clientConfig() as ClientConfig);
  await c.connect();
  try {
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await c.end();
  }
  expect(lookups).toBe(1);
  expect(masked).toEqual([h.connection]);
});

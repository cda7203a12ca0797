import { z } from 'zod';
import { wardenConfig } from './schema';

/** The config contract as JSON Schema (draft 2020-12), for editors and for `warden config schema`. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(wardenConfig, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://warden.dev/schemas/warden-config-1.json',
    title: 'Warden gateway configuration',
    description:
      'The configuration a Warden gateway runs with; the constructs render and validate the same contract.',
  };
}

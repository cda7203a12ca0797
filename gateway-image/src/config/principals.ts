import { z } from 'zod';

const names = z.array(z.string().min(1));

/**
 * Who a rule, grant, masking profile or brokered role applies to. An empty selector matches every
 * principal. In a module of its own: connections and policy both use it.
 */
export const principalSelector = z
  .strictObject({
    kinds: z
      .array(z.enum(['human', 'agent']))
      .optional()
      .describe('Match these principal kinds.'),
    groups: names.optional().describe('Match principals in any of these groups.'),
    subjects: names.optional().describe('Match these subjects exactly.'),
  })
  .describe('Matches principals; every field given must match. Empty matches everyone.');

/**
 * What masks a Kubernetes response: the principal's masker on every string (ConfigMap values, pod
 * env, annotations, logs), and for anything about Secrets their values always, whoever asks and
 * whatever the masking profile says: `data` and `stringData` at any depth (objects, lists, watch
 * events, tables) and the last-applied-configuration annotation, which repeats them.
 */

import type { KubernetesFacts } from '../../inspect/facts';
import { type CompiledFieldPaths, compileFieldPaths } from '../../masking/json-stream-path';
import type { HttpMasker } from '../http/hooks';

export const SECRET_ENTITY = 'custom:SECRET';
const SECRET_VALUE = '[SECRET]';

const SECRET_FIELDS: CompiledFieldPaths = compileFieldPaths({
  '$..data': SECRET_ENTITY,
  '$..stringData': SECRET_ENTITY,
  "$..annotations['kubectl.kubernetes.io/last-applied-configuration']": SECRET_ENTITY,
});

/** Whether a response may carry Secret values. */
export function aboutSecrets(facts: KubernetesFacts): boolean {
  return facts.resource === 'secrets';
}

export interface ResponseMasking {
  readonly masker: HttpMasker;
  readonly fields?: CompiledFieldPaths;
}

export function responseMasking(facts: KubernetesFacts, masker: HttpMasker): ResponseMasking {
  if (!aboutSecrets(facts)) return { masker };
  const { passThrough: _relayed, ...rest } = masker;
  return {
    // Never relayed unparsed: the Secret fields must be found even on a connection without PHI.
    masker: {
      ...rest,
      mask: (text) => masker.mask(text),
      maskField: (entity, value) =>
        entity === SECRET_ENTITY ? SECRET_VALUE : (masker.maskField?.(entity, value) ?? `[${entity}]`),
    },
    fields: SECRET_FIELDS,
  };
}

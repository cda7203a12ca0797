import { WardenError } from '../../errors';

/** The request cannot be classified; it is refused (403) with this text, which is written for clients. */
export class KubernetesInspectError extends WardenError {
  constructor(readonly detail: string) {
    super('ERR_KUBERNETES_NOT_INSPECTABLE', detail);
  }
}

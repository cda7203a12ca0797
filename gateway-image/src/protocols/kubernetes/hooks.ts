/**
 * What the Kubernetes adapter needs from the rest of the gateway, as one narrow interface wired in
 * gateway/kubernetes-hooks.ts. The adapter owns requests, WebSocket frames and bytes; it calls
 * these at named points: authenticate → route → authorize → inspect → decide → awaitApproval →
 * audit attempt → forward (REST) or relay (exec) → mask → audit result → record (exec).
 */
import type { KubernetesConnectionConfig } from '../../config/connections';
import type { Principal } from '../../identity/principal';
import type { KubernetesFacts } from '../../inspect/facts';
import type { KubernetesRequest } from '../../inspect/kubernetes';
import type { TextMasker } from '../../masking/text-masker';
import type { GateAuditInput, GateHooks } from '../gate';
import type { HttpAccessResult, HttpMasker } from '../http/hooks';
import type { RecordingTarget } from '../ssh/hooks';

/**
 * `request.refused`: before policy (credential, route, grant) or not inspectable.
 * `request.attempt`: facts and the final decision, appended before anything is forwarded.
 * `request.result`: status, bytes, mask counts (REST); exit status too (exec).
 */
export type KubernetesAuditType = 'request.refused' | 'request.attempt' | 'request.result';

export type KubernetesAuditInput = GateAuditInput<KubernetesAuditType>;

/** One exec stream's recording (asciicast v2). */
export interface KubernetesExecRecordingMeta {
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  /** namespace/pod[/container] */
  readonly target: string;
  /** The command line, masked. */
  readonly command: string;
  readonly tty: boolean;
}

export interface KubernetesGatewayHooks extends GateHooks<KubernetesFacts, KubernetesAuditInput> {
  /** Verifies the bearer token. Throws AuthenticationError (its reason is shown to the client). */
  authenticate(token: string): Promise<Principal>;
  /** The hooks for one client address (failed logins are counted per source). @default these hooks */
  forClient?(address: string | undefined): KubernetesGatewayHooks;
  authorize(principal: Principal, connection: string): HttpAccessResult | Promise<HttpAccessResult>;
  /** Resolves a secret reference (cluster credential and CA). */
  resolveSecret(ref: string): Promise<string>;
  /** Request → facts; throws KubernetesInspectError for what cannot be classified. */
  inspect(request: KubernetesRequest, connection: KubernetesConnectionConfig): KubernetesFacts;
  /** Response masking for this principal on this connection (JSON members and free text). */
  masker(principal: Principal, connection: string): HttpMasker;
  /** Masking of exec output and of identifiers in audited command lines. */
  textMasker(principal: Principal, connection: string): TextMasker;
  /** Opens an exec recording; a rejection refuses the exec (nothing runs unrecorded). */
  record(meta: KubernetesExecRecordingMeta): Promise<RecordingTarget>;
}

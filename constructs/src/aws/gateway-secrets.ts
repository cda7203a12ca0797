/** The gateway's own key material in Secrets Manager, encrypted with the gateway's key. */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { GatewaySecretRefs } from '../core';
import { secretRef } from './secrets';

export interface GatewaySecretsProps {
  /** Customer-managed key the secrets are encrypted with. */
  readonly key: kms.IKey;
  /**
   * A secret holding JSON `{ "certificate": "<PEM chain>", "key": "<PEM key>" }` for the gateway's
   * TLS listeners.
   * @default - a secret is created; put the certificate in it before the service starts
   */
  readonly tlsSecret?: secretsmanager.ISecret;
}

const OPERATOR_FILLED =
  'Holds PEM key material that an operator (or their PKI) issues and rotates; Secrets Manager cannot generate it, and the gateway re-reads the secret so rotation needs no restart.';
const TOKEN_KEY_ROTATION =
  'Rotating the masking token key changes every token, which breaks joins against tokens stored downstream; it is rotated as a planned change through masking.previousTokenKeys, which a Secrets Manager rotation function cannot coordinate.';

/**
 * Key material Secrets Manager cannot generate (PEM certificates, Ed25519 keys) is created as a
 * placeholder JSON document that the operator replaces, e.g. `aws secretsmanager put-secret-value`.
 * Until then the gateway fails closed at start: it refuses to run with a key it cannot parse.
 */
export class GatewaySecrets extends Construct {
  readonly tls: secretsmanager.ISecret;
  /** JSON `{ auditSigningKey, sessionSigningKey, sshHostKey }`, each a PEM private key. */
  readonly signingKeys: secretsmanager.Secret;
  /** JSON `{ tokenKey }`: the HMAC key for the `token` masking strategy (generated here). */
  readonly maskingKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: GatewaySecretsProps) {
    super(scope, id);
    const placeholder = (keys: string[]) =>
      JSON.stringify(Object.fromEntries(keys.map((k) => [k, 'REPLACE WITH PEM'])));
    this.tls =
      props.tlsSecret ??
      new secretsmanager.Secret(this, 'Tls', {
        description: 'Warden gateway TLS certificate chain and private key (PEM, JSON keys certificate/key).',
        encryptionKey: props.key,
        generateSecretString: {
          secretStringTemplate: placeholder(['certificate', 'key']),
          generateStringKey: 'placeholder',
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.signingKeys = new secretsmanager.Secret(this, 'SigningKeys', {
      description: 'Warden audit checkpoint, session token and SSH host keys (PEM, one JSON key each).',
      encryptionKey: props.key,
      generateSecretString: {
        secretStringTemplate: placeholder(['auditSigningKey', 'sessionSigningKey', 'sshHostKey']),
        generateStringKey: 'placeholder',
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.maskingKey = new secretsmanager.Secret(this, 'MaskingKey', {
      description: 'Warden masking token HMAC key.',
      encryptionKey: props.key,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'tokenKey',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const rotation: [secretsmanager.ISecret, string][] = [
      [this.tls, OPERATOR_FILLED],
      [this.signingKeys, OPERATOR_FILLED],
      [this.maskingKey, TOKEN_KEY_ROTATION],
    ];
    for (const [s, reason] of rotation) {
      if (!(s instanceof secretsmanager.Secret)) continue;
      Validations.of(s).acknowledge(
        { id: 'AwsSolutions-SMG4', reason },
        { id: 'HIPAA.Security-SecretsManagerRotationEnabled', reason },
      );
    }
  }

  /** The references the config uses. */
  refs(): GatewaySecretRefs {
    return {
      tlsCertificate: secretRef({ secret: this.tls, jsonKey: 'certificate' }),
      tlsKey: secretRef({ secret: this.tls, jsonKey: 'key' }),
      auditSigningKey: secretRef({ secret: this.signingKeys, jsonKey: 'auditSigningKey' }),
      sessionSigningKey: secretRef({ secret: this.signingKeys, jsonKey: 'sessionSigningKey' }),
      sshHostKey: secretRef({ secret: this.signingKeys, jsonKey: 'sshHostKey' }),
      maskingTokenKey: secretRef({ secret: this.maskingKey, jsonKey: 'tokenKey' }),
    };
  }

  /** Every secret the gateway itself reads. */
  all(): secretsmanager.ISecret[] {
    return [this.tls, this.signingKeys, this.maskingKey];
  }
}

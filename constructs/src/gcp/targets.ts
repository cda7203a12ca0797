/** What a Postgres connection reaches on Google Cloud. */
import type { ICloudSqlInstance } from './refs';

export interface CloudSqlTargetOptions {
  /**
   * Range fenced by the egress rules: only the gateway may connect to it on the database port.
   * @default - the instance's private IP (/32)
   */
  readonly fenceRange?: string;
}

export class PostgresTarget {
  /** A Cloud SQL for PostgreSQL instance on private IP (and no public IP). */
  static fromInstance(instance: ICloudSqlInstance, options: CloudSqlTargetOptions = {}): PostgresTarget {
    return new PostgresTarget(instance, options.fenceRange ?? `${instance.privateIpAddress}/32`);
  }

  private constructor(
    readonly instance: ICloudSqlInstance,
    /** The range only the gateway may reach. */
    readonly fenceRange: string,
  ) {}
}

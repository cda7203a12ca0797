/** What a Postgres connection reaches: an RDS instance or an Aurora cluster, never both. */
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';

export class PostgresTarget {
  /** An RDS for PostgreSQL instance. */
  static fromInstance(instance: rds.IDatabaseInstance): PostgresTarget {
    return new PostgresTarget(instance.instanceEndpoint, instance);
  }

  /** An Aurora PostgreSQL cluster, through its writer endpoint. */
  static fromCluster(cluster: rds.IDatabaseCluster): PostgresTarget {
    return new PostgresTarget(cluster.clusterEndpoint, cluster);
  }

  private constructor(
    /** Host and port the gateway connects to. */
    readonly endpoint: rds.Endpoint,
    /** The database's security groups: the gateway opens exactly them, and the bypass rule checks them. */
    readonly connectable: ec2.IConnectable,
  ) {}
}

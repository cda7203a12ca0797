/**
 * The gateway's container image. By default it is built at deploy from the build context this
 * package ships (Dockerfile and prebuilt gateway bundle), so an app needs nothing but the package.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IMAGE_CONTEXT_DIR } from '../core';

export class WardenImage {
  /** Directory of the image's Docker build context inside the installed package. */
  static readonly contextDirectory = IMAGE_CONTEXT_DIR;

  /**
   * Built from the context in this package: `cdk deploy` builds it with Docker and pushes it to
   * the CDK asset repository. `cdk synth` only stages it (no Docker needed).
   */
  static fromAsset(options: Omit<ecs.AssetImageProps, 'file'> = {}): ecs.ContainerImage {
    if (!existsSync(join(IMAGE_CONTEXT_DIR, 'Dockerfile'))) {
      throw new Error(
        `Warden gateway image context not found at ${IMAGE_CONTEXT_DIR} (in the repository, run \`npm run build\`); or pass image: WardenImage.fromRegistry(…)`,
      );
    }
    return ecs.ContainerImage.fromAsset(IMAGE_CONTEXT_DIR, options);
  }

  /** An image you built and pushed yourself, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/warden@sha256:…`. */
  static fromRegistry(name: string, props?: ecs.RepositoryImageProps): ecs.ContainerImage {
    return ecs.ContainerImage.fromRegistry(name, props);
  }

  private constructor() {}
}

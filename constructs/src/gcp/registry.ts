import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { Construct } from 'constructs';

/** Where the image's build context is in an app that installed the package (relative, so synth output is the same on every machine). */
const IMAGE_CONTEXT_IN_APP = 'node_modules/@warden/constructs/gateway-image';

export interface GatewayRegistryProps {
  readonly project: string;
  readonly region: string;
  readonly repositoryId: string;
  /** Member (serviceAccount:…) allowed to pull. */
  readonly reader: string;
}

/** The Artifact Registry repository the gateway image is pushed to and pulled from. */
export class GatewayRegistry extends Construct {
  readonly repository: ArtifactRegistryRepository;
  /** Registry host, e.g. europe-west3-docker.pkg.dev. */
  readonly host: string;
  /** `<host>/<project>/<repository>`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: GatewayRegistryProps) {
    super(scope, id);
    this.repository = new ArtifactRegistryRepository(this, 'repository', {
      project: props.project,
      location: props.region,
      repositoryId: props.repositoryId,
      format: 'DOCKER',
      description: 'Warden gateway images',
    });
    new ArtifactRegistryRepositoryIamMember(this, 'reader', {
      project: props.project,
      location: props.region,
      repository: this.repository.name,
      role: 'roles/artifactregistry.reader',
      member: props.reader,
    });
    this.host = `${props.region}-docker.pkg.dev`;
    this.url = `${this.host}/${props.project}/${props.repositoryId}`;
  }

  /**
   * Shell commands, run from the app's directory, that build the image from the build context
   * shipped in this package and push it (needs Docker and gcloud; nothing here runs them).
   */
  buildAndPushCommand(image: string): string {
    return [
      `gcloud auth configure-docker ${this.host}`,
      `docker build -t ${image} ${IMAGE_CONTEXT_IN_APP}`,
      `docker push ${image}`,
    ].join(' && ');
  }
}

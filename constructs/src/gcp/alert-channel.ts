/**
 * Where the gateway's alert policies notify when no channel is given: a Pub/Sub topic behind a
 * notification channel, the counterpart of the SNS topic on AWS. Subscribe a pager, a chat bridge
 * or an email relay to the topic; Cloud Monitoring's notification agent is its only publisher.
 */
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { Construct } from 'constructs';

export interface AlertTopicProps {
  readonly project: string;
  readonly namePrefix: string;
}

export class AlertTopic extends Construct {
  readonly topic: PubsubTopic;
  readonly channel: MonitoringNotificationChannel;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    this.topic = new PubsubTopic(this, 'topic', {
      project: props.project,
      name: `${props.namePrefix}-gateway-alerts`,
      labels: { 'warden-role': 'alerts' },
    });
    const project = new DataGoogleProject(this, 'project', { projectId: props.project });
    new PubsubTopicIamMember(this, 'monitoring-publishes', {
      project: props.project,
      topic: this.topic.name,
      role: 'roles/pubsub.publisher',
      member: `serviceAccount:service-${project.number}@gcp-sa-monitoring-notification.iam.gserviceaccount.com`,
    });
    this.channel = new MonitoringNotificationChannel(this, 'channel', {
      project: props.project,
      displayName: `Warden ${props.namePrefix} gateway alerts`,
      type: 'pubsub',
      labels: { topic: this.topic.id },
    });
  }
}

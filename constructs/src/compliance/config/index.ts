/** Cloud-neutral checks on a validated gateway config; the AWS and GCP packs wrap them. */
export * from './outcome';
export { checkPhiMasking } from './phi-masking';
export { checkPhiWriteApproval } from './phi-write-approval';
export { checkGatewayTls } from './tls-required';

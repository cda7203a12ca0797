export { acknowledge } from './acknowledge';
export { addComplianceChecks, type ComplianceChecksOptions, checkStack } from './compliance';
export { GCP_PACK, PACK_NAME, type PackEntry, ruleId } from './pack';
export type { GcpRule, RuleResult, RuleStatus } from './rule';
export { checkTerraform } from './runner';
export {
  GATEWAY_KEY,
  type GatewayManifest,
  type GatewayTarget,
  TerraformView,
  type TfResource,
} from './terraform-view';

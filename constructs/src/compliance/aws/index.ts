export { acknowledgementFor } from './acknowledgements';
export { evaluateNagPacks, evaluateWardenRules, hipaaControlForNagRule } from './findings';
export { NAG_HIPAA_CONTROLS } from './nag-hipaa-controls';
export { WARDEN_PACK_NAME, WardenChecks } from './pack';
export { addComplianceChecks, type ComplianceChecksOptions } from './register';
export type { WardenRule } from './rule';
export * from './rules';

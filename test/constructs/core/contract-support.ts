/** Internals of the package's validation that the contract test compares with the gateway's. */
export { formatPath as formatPathForTest } from '../../../constructs/src/core/config-issues';
export { configIssues, validateWardenConfig } from '../../../constructs/src/core/validate';

/** What a Warden rule concludes about one resource or one gateway config. */
export type RuleStatus = 'compliant' | 'non-compliant' | 'not-applicable' | 'could-not-validate';

export interface RuleOutcome {
  readonly status: RuleStatus;
  /** Why, naming the connection, rule or property at fault. */
  readonly message: string;
}

export const compliant = (message = 'compliant'): RuleOutcome => ({ status: 'compliant', message });
export const nonCompliant = (message: string): RuleOutcome => ({ status: 'non-compliant', message });
export const notApplicable = (message = 'not applicable'): RuleOutcome => ({
  status: 'not-applicable',
  message,
});
export const couldNotValidate = (message: string): RuleOutcome => ({ status: 'could-not-validate', message });

/** Several problems become one non-compliant outcome listing them all. */
export function fromProblems(problems: readonly string[], okMessage: string): RuleOutcome {
  return problems.length ? nonCompliant(problems.join('; ')) : compliant(okMessage);
}

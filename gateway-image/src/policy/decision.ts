/** What policy says about one command. */
export type Decision =
  | { readonly outcome: 'allow'; readonly rule?: string }
  | { readonly outcome: 'deny'; readonly rule: string; readonly reason: string }
  | { readonly outcome: 'require-approval'; readonly rule: string; readonly reason: string };

/** What policy says about one command. */
export type Decision =
  | { readonly outcome: 'allow'; readonly rule?: string }
  | {
      readonly outcome: 'deny';
      readonly rule: string;
      readonly reason: string;
      /** SSH: the program of the command line the rule matched. */
      readonly program?: string;
      /** SSH: that program's features the rule matched on. */
      readonly features?: readonly string[];
    }
  | {
      readonly outcome: 'require-approval';
      readonly rule: string;
      readonly reason: string;
      /** SSH: the program of the command line the rule matched. */
      readonly program?: string;
      /** SSH: that program's features the rule matched on. */
      readonly features?: readonly string[];
    };

import { readFile } from 'node:fs/promises';
import { formatDirVerifyResult, verifyAuditDir } from '../../audit/verify';
import { type Command, optionalString, UsageError } from '../command';

export const auditVerify: Command = {
  path: ['audit', 'verify'],
  summary: 'Check the audit log hash chain and signed checkpoints',
  help: `Usage: warden audit verify DIR [--public-key FILE] [--allow-open-tail] [--json]

Reads every segment of every chain in DIR (the directory's own chain, and with several gateway
worker processes each worker's chain under DIR/chains/) and checks the hash chain, the sequence
numbers, the segment links and each checkpoint. Detects modified, deleted, inserted and reordered
events and truncation after the last checkpoint, and names the chain and the first bad seq. Exit
status 0 only when every chain is intact.

  --public-key FILE    Ed25519 public key (PEM) that must have signed the checkpoints.
                       Without it, checkpoints are hash-checked only and the report says so.
  --allow-open-tail    accept events after the last checkpoint (a log still being written)
  --json               print the result as JSON (one chain: its result; several: {ok, chains})`,
  options: {
    'public-key': { type: 'string' },
    'allow-open-tail': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, names: 'DIR' },
  async run(args, io) {
    const keyFile = optionalString(args, 'public-key');
    let publicKey: string | undefined;
    if (keyFile !== undefined) {
      publicKey = await readFile(keyFile, 'utf8').catch(() => {
        throw new UsageError(`cannot read public key file ${keyFile}`);
      });
    }
    const result = await verifyAuditDir(args.positionals[0]!, {
      publicKey,
      allowOpenTail: args.values['allow-open-tail'] === true,
    });
    const single =
      result.chains.length === 1 && result.chains[0]!.id === '' ? result.chains[0]!.result : undefined;
    io.stdout.write(
      args.values.json
        ? `${JSON.stringify(single ?? result, null, 2)}\n`
        : `${formatDirVerifyResult(result)}\n`,
    );
    return result.ok ? 0 : 1;
  },
};

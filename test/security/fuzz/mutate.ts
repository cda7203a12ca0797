/**
 * Seeded mutations for the protocol fuzz runs: one seed per run, printed, so a failure reproduces
 * with FUZZ_SEED=<seed>. Mutations are the kinds parsers trip on: flipped and inserted bytes, cut
 * messages, length fields that lie (zero, negative, huge), repeated slices, spliced-in bytes that
 * mean something (NUL, CR, LF, invalid UTF-8), and plain noise.
 */
import { Prng } from '../../../gateway-image/src/sandbox/prng';

export { Prng };

/** The run's seed: FUZZ_SEED when set, else a fresh one; printed so a failure can be replayed. */
export function fuzzSeed(protocol: string): number {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`${protocol} fuzz seed ${seed} (replay with FUZZ_SEED=${seed})\n`);
  return seed;
}

const SPECIAL = [
  Buffer.from([0]),
  Buffer.from('\r\n'),
  Buffer.from('\n'),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from('%00'),
  Buffer.from('../'),
  Buffer.from(' '),
  Buffer.from(';'),
];

const LYING_LENGTHS = [0, 1, 3, 4, 5, 0x7fffffff, 0xffffffff, 0x80000000, 0x40000000, 65_536];

export function randomBytes(rng: Prng, max: number): Buffer {
  const b = Buffer.alloc(rng.int(0, max));
  for (let i = 0; i < b.length; i++) b[i] = rng.int(0, 255);
  return b;
}

/** One to three mutations of `input`; `lengthAt` lists offsets of 32-bit length fields to lie in. */
export function mutate(rng: Prng, input: Buffer, lengthAt: readonly number[] = []): Buffer {
  let b = Buffer.from(input);
  const rounds = rng.int(1, 3);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(0, Math.max(0, b.length - 1));
    switch (rng.int(0, 7)) {
      case 0:
        if (b.length > 0) b[at] = rng.int(0, 255);
        break;
      case 1:
        b = b.subarray(0, at);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), rng.pick(SPECIAL), b.subarray(at)]);
        break;
      case 3: {
        const offset = lengthAt.length > 0 ? rng.pick(lengthAt) : at;
        if (offset + 4 <= b.length) b.writeUInt32BE(rng.pick(LYING_LENGTHS) >>> 0, offset);
        break;
      }
      case 4: {
        const end = rng.int(at, b.length);
        b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
        break;
      }
      case 5:
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 16), b.subarray(at)]);
        break;
      case 6:
        b = Buffer.concat([b.subarray(0, at), b.subarray(rng.int(at, b.length))]);
        break;
      default:
        if (b.length > 0) b[at] = b[at]! ^ (1 << rng.int(0, 7));
    }
  }
  return b;
}

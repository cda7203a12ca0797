/** IPv4 CIDR arithmetic for firewall checks. Ranges that are tokens compare by equality only. */

interface Cidr {
  readonly base: number;
  readonly bits: number;
}

function parse(range: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(range.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

/** True / false, or undefined when either side is not a literal IPv4 range and they differ. */
export function overlaps(a: string, b: string): boolean | undefined {
  if (a === b) return true;
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  const xEnd = x.base + 2 ** (32 - x.bits);
  const yEnd = y.base + 2 ** (32 - y.bits);
  return x.base < yEnd && y.base < xEnd;
}

/** Whether `outer` contains all of `inner`; undefined when it cannot be told. */
export function contains(outer: string, inner: string): boolean | undefined {
  if (outer === inner) return true;
  const o = parse(outer);
  const i = parse(inner);
  if (!o || !i) return undefined;
  return o.bits <= i.bits && o.base === i.base - (i.base % 2 ** (32 - o.bits));
}

/**
 * CRC32C (Castagnoli), the checksum Google Cloud Storage and Secret Manager attach to payloads.
 * Node 20 has no built-in for it (zlib.crc32 is plain CRC32, and Node 22+ only).
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // 0x82f63b78 is the reflected Castagnoli polynomial.
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continue a CRC32C over `data`; start with 0 and feed chunks in order. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(data: Uint8Array): number {
  return crc32cUpdate(0, data);
}

/** The form GCS uses in `x-goog-hash: crc32c=…` and object metadata: base64 of the big-endian value. */
export function crc32cBase64(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc >>> 0);
  return b.toString('base64');
}

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Uploader, type S3UploaderOptions } from '../../../gateway-image/src/audit/s3-uploader';
import { AuditError } from '../../../gateway-image/src/errors';
import { FakeAws, STATIC_KEYS } from './fake-aws';

const DAY_MS = 86_400_000;
const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('S3Uploader', () => {
  let aws: FakeAws;
  let dir: string;
  const uploaders: S3Uploader[] = [];
  beforeEach(async () => {
    aws = await new FakeAws().start();
    dir = await mkdtemp(join(tmpdir(), 'warden-s3-'));
  });
  afterEach(async () => {
    for (const u of uploaders.splice(0)) u.close();
    await aws.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function uploader(extra: Partial<S3UploaderOptions> = {}): S3Uploader {
    const u = new S3Uploader({
      bucket: 'warden-audit',
      prefix: 'gw1/',
      region: 'us-east-2',
      endpoint: aws.url,
      credentials: STATIC_KEYS,
      retryDelayMs: 1,
      now: () => NOW,
      ...extra,
    });
    uploaders.push(u);
    return u;
  }

  async function file(name: string, content: string): Promise<string> {
    const p = join(dir, name);
    await writeFile(p, content);
    return p;
  }

  it('uploads a sealed segment create-only, in COMPLIANCE mode, with its SHA-256, under audit/', async () => {
    const content = '{"seq":1}\n{"seq":2}\n';
    const seg = await file('segment-000001.jsonl', content);
    const up = await uploader({ retentionDays: 30 }).uploadSegment(seg, '', 'host-a');
    const sha256 = createHash('sha256').update(content).digest('base64');
    expect(up).toEqual({
      bucket: 'warden-audit',
      key: 'gw1/segments/host-a/segment-000001.jsonl',
      versionId: 'ver-1',
      checksumSha256: sha256,
      size: content.length,
      retainUntil: new Date(NOW + 30 * DAY_MS),
      created: true,
    });
    const stored = aws.objects.get('warden-audit/gw1/segments/host-a/segment-000001.jsonl');
    expect(stored?.data.toString()).toBe(content);
    expect(stored).toMatchObject({
      contentType: 'application/x-ndjson',
      lockMode: 'COMPLIANCE',
      retainUntil: new Date(NOW + 30 * DAY_MS),
      checksumSha256: sha256,
    });
    expect(aws.calls).toEqual([
      { operation: 'PutObject', region: 'us-east-2', accessKeyId: STATIC_KEYS.accessKeyId },
    ]);
  });

  it('retains for six years by default, the sink config default', async () => {
    await uploader().uploadSegment(await file('segment-000002.jsonl', 'x\n'), '', 'host-a');
    const stored = aws.objects.get('warden-audit/gw1/segments/host-a/segment-000002.jsonl');
    expect(stored?.retainUntil).toEqual(new Date(NOW + 2192 * DAY_MS));
  });

  it('uploads recordings under recordings/<host>/, by their path under the recording directory', async () => {
    const up = await uploader().uploadRecording(
      await file('session-abc.jsonl', '{"t":0}\n'),
      undefined,
      'host-a',
    );
    expect(up.key).toBe('gw1/recordings/host-a/session-abc.jsonl');
    const http = await uploader().uploadRecording(
      await file('12-345.jsonl', '{}\n'),
      'http/12-345.jsonl',
      'host-a',
    );
    expect(http.key).toBe('gw1/recordings/host-a/http/12-345.jsonl');
  });

  it('streams a file larger than one chunk intact', async () => {
    const big = 'r'.repeat(3 * 1024 * 1024 + 17);
    const up = await uploader().uploadRecording(await file('session-big.jsonl', big), undefined, 'host-a');
    expect(up.size).toBe(big.length);
    expect(aws.objects.get('warden-audit/gw1/recordings/host-a/session-big.jsonl')?.data.length).toBe(
      big.length,
    );
  });

  it('treats an identical object already stored as done (a retried upload)', async () => {
    const seg = await file('segment-000003.jsonl', 'same\n');
    await uploader().uploadSegment(seg, '', 'host-a');
    const again = await uploader().uploadSegment(seg, '', 'host-a');
    expect(again).toMatchObject({ created: false, versionId: 'ver-1', size: 5 });
    expect(again.retainUntil).toEqual(new Date(NOW + 2192 * DAY_MS));
    expect(aws.objects.size).toBe(1);
  });

  it('never overwrites a different object of the same key', async () => {
    const seg = await file('segment-000004.jsonl', 'first\n');
    await uploader().uploadSegment(seg, '', 'host-a');
    await writeFile(seg, 'tampered\n');
    await expect(uploader().uploadSegment(seg, '', 'host-a')).rejects.toThrow(
      /already exists with different content/,
    );
    expect(aws.objects.get('warden-audit/gw1/segments/host-a/segment-000004.jsonl')?.data.toString()).toBe(
      'first\n',
    );
  });

  it('retries transient failures with a fresh read of the file', async () => {
    aws.failNext('PutObject', 503, 2);
    const seg = await file('segment-000005.jsonl', 'retry me\n');
    await expect(uploader().uploadSegment(seg, '', 'host-a')).resolves.toMatchObject({ created: true });
    expect(aws.count('PutObject')).toBe(3);
    expect(aws.objects.get('warden-audit/gw1/segments/host-a/segment-000005.jsonl')?.data.toString()).toBe(
      'retry me\n',
    );
  });

  it('gives up with an AuditError after its attempts and keeps the local file', async () => {
    aws.failNext('PutObject', 503, 5);
    const seg = await file('segment-000006.jsonl', 'keep me\n');
    const err = await uploader({ attempts: 2 })
      .uploadSegment(seg, '', 'host-a')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).message).toBe(
      'upload of gw1/segments/host-a/segment-000006.jsonl to s3://warden-audit failed after 2 attempts: ServiceUnavailable (HTTP 503)',
    );
    expect(await readFile(seg, 'utf8')).toBe('keep me\n');
  });

  it('does not retry a refusal', async () => {
    aws.failNext('PutObject', 403, 1);
    const seg = await file('segment-000007.jsonl', 'w\n');
    await expect(uploader().uploadSegment(seg, '', 'host-a')).rejects.toThrow(
      'upload of gw1/segments/host-a/segment-000007.jsonl in s3://warden-audit was refused: AccessDenied (HTTP 403)',
    );
    expect(aws.count('PutObject')).toBe(1);
  });

  it('surfaces an unreachable endpoint as an AuditError after its attempts', async () => {
    const seg = await file('segment-000008.jsonl', 'v\n');
    const err = await uploader({ endpoint: 'http://127.0.0.1:1', attempts: 2 })
      .uploadSegment(seg, '', 'host-a')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).message).toMatch(/failed after 2 attempts/);
  });

  it('is refused by S3 when its signature does not match', async () => {
    const seg = await file('segment-000009.jsonl', 'u\n');
    const wrongKey = { ...STATIC_KEYS, secretAccessKey: 'not-the-right-secret' };
    await expect(uploader({ credentials: wrongKey }).uploadSegment(seg, '', 'host-a')).rejects.toThrow(
      /refused: SignatureDoesNotMatch \(HTTP 403\)/,
    );
    expect(aws.objects.size).toBe(0);
  });

  it('reports a missing local file as an AuditError', async () => {
    await expect(uploader().uploadSegment(join(dir, 'nope.jsonl', '', 'host-a'))).rejects.toThrow(AuditError);
  });

  it('validates its options once, in the constructor', () => {
    expect(() => new S3Uploader({ bucket: 's3://x' })).toThrow(RangeError);
    expect(() => new S3Uploader({ bucket: 'warden-audit', retentionDays: 0 })).toThrow(RangeError);
    expect(() => new S3Uploader({ bucket: 'warden-audit', attempts: 0 })).toThrow(RangeError);
  });
});

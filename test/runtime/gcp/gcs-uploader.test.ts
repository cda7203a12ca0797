import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcsUploader } from '../../../gateway-image/src/audit/gcs-uploader';
import { AuditError } from '../../../gateway-image/src/errors';
import { FakeGoogle } from './fake-google';

describe('GcsUploader', () => {
  let google: FakeGoogle;
  let dir: string;
  beforeEach(async () => {
    google = await new FakeGoogle().start();
    dir = await mkdtemp(join(tmpdir(), 'warden-gcs-'));
  });
  afterEach(async () => {
    await google.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function uploader(extra: { attempts?: number } = {}) {
    return new GcsUploader({
      bucket: 'warden-audit',
      prefix: 'gw1/',
      storageUrl: google.url,
      metadataUrl: google.url,
      retryDelayMs: 1,
      ...extra,
    });
  }

  async function file(name: string, content: string): Promise<string> {
    const p = join(dir, name);
    await writeFile(p, content);
    return p;
  }

  it('uploads a sealed segment create-only, with its checksum, under audit/', async () => {
    const seg = await file('segment-000001.jsonl', '{"seq":1}\n{"seq":2}\n');
    const up = await uploader().uploadSegment(seg, '', 'host-a');
    expect(up).toMatchObject({
      bucket: 'warden-audit',
      name: 'gw1/segments/host-a/segment-000001.jsonl',
      created: true,
    });
    const stored = google.objects.get('warden-audit/gw1/segments/host-a/segment-000001.jsonl');
    expect(stored?.data.toString()).toBe('{"seq":1}\n{"seq":2}\n');
    expect(stored?.contentType).toBe('application/x-ndjson');
  });

  it('uploads recordings under recordings/<host>/', async () => {
    const rec = await file('session-abc.jsonl', '{"t":0}\n');
    const up = await uploader().uploadRecording(rec, undefined, 'host-a');
    expect(up.name).toBe('gw1/recordings/host-a/session-abc.jsonl');
  });

  it('treats an identical object already stored as done (a retried upload)', async () => {
    const seg = await file('segment-000002.jsonl', 'x\n');
    await uploader().uploadSegment(seg, '', 'host-a');
    const again = await uploader().uploadSegment(seg, '', 'host-a');
    expect(again.created).toBe(false);
    expect(google.objects.size).toBe(1);
  });

  it('never overwrites a different object of the same name', async () => {
    const seg = await file('segment-000003.jsonl', 'first\n');
    await uploader().uploadSegment(seg, '', 'host-a');
    await writeFile(seg, 'tampered\n');
    await expect(uploader().uploadSegment(seg, '', 'host-a')).rejects.toThrow(
      /already exists with different content/,
    );
    expect(google.objects.get('warden-audit/gw1/segments/host-a/segment-000003.jsonl')?.data.toString()).toBe(
      'first\n',
    );
  });

  it('retries transient failures', async () => {
    google.failNext('/upload/', 503, 2);
    const seg = await file('segment-000004.jsonl', 'y\n');
    await expect(uploader().uploadSegment(seg, '', 'host-a')).resolves.toMatchObject({ created: true });
  });

  it('gives up with an AuditError after its attempts', async () => {
    google.failNext('/upload/', 503, 5);
    const seg = await file('segment-000005.jsonl', 'z\n');
    const err = await uploader({ attempts: 2 })
      .uploadSegment(seg, '', 'host-a')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).message).toMatch(/failed after 2 attempts/);
  });

  it('does not retry a refusal', async () => {
    google.failNext('/upload/', 403, 1);
    const seg = await file('segment-000006.jsonl', 'w\n');
    await expect(uploader().uploadSegment(seg, '', 'host-a')).rejects.toThrow(/refused: HTTP 403/);
  });

  it('rejects a bucket name that is not one', () => {
    expect(() => new GcsUploader({ bucket: 'gs://x' })).toThrow(RangeError);
  });
});

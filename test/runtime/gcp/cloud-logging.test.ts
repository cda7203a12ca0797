import {
  createCloudLogger,
  parseCloudTraceContext,
  parseTraceparent,
  severityFor,
} from '../../../gateway-image/src/logging/cloud-logging';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(JSON.parse(s)) } };
}

describe('Cloud Logging structured lines', () => {
  it('writes severity, message, time and labels', () => {
    const { lines, stream } = capture();
    const log = createCloudLogger({ labels: { 'warden.dev/gateway': 'gw1' } }, stream);
    log.warn({ labels: { connection: 'patients' }, attempt: 2 }, 'upstream slow');
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      message: 'upstream slow',
      attempt: 2,
      'logging.googleapis.com/labels': { 'warden.dev/gateway': 'gw1', connection: 'patients' },
    });
    expect(Number.isNaN(Date.parse(String(lines[0]!.time)))).toBe(false);
    expect(lines[0]).not.toHaveProperty('level');
    expect(lines[0]).not.toHaveProperty('hostname');
  });

  it('ties a line to its trace', () => {
    const { lines, stream } = capture();
    const log = createCloudLogger({ projectId: 'p1' }, stream);
    const trace = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    log.info({ trace }, 'query');
    expect(lines[0]).toMatchObject({
      'logging.googleapis.com/trace': 'projects/p1/traces/4bf92f3577b34da6a3ce929d0e0e4736',
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
      'logging.googleapis.com/trace_sampled': true,
    });
    expect(lines[0]).not.toHaveProperty('trace');
  });

  it('maps every pino level', () => {
    expect([10, 20, 30, 40, 50, 60].map(severityFor)).toEqual([
      'DEBUG',
      'DEBUG',
      'INFO',
      'WARNING',
      'ERROR',
      'CRITICAL',
    ]);
  });

  it('parses trace headers and rejects malformed ones', () => {
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseCloudTraceContext('105445aa7843bc8bf206b12000100000/1;o=1')).toEqual({
      traceId: '105445aa7843bc8bf206b12000100000',
      spanId: '0000000000000001',
      sampled: true,
    });
  });
});

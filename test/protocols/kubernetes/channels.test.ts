import {
  chooseProtocol,
  decodeMessage,
  encodeMessage,
  exitCodeOf,
} from '../../../gateway-image/src/protocols/kubernetes/channels';

describe('Kubernetes channel protocol', () => {
  it('prefers v5, accepts v4, refuses the base64 and older protocols', () => {
    expect(chooseProtocol('v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io')).toBe('v5.channel.k8s.io');
    expect(chooseProtocol('v4.channel.k8s.io,v3.channel.k8s.io')).toBe('v4.channel.k8s.io');
    expect(chooseProtocol('base64.channel.k8s.io, channel.k8s.io')).toBeUndefined();
    expect(chooseProtocol('v2.portforward.k8s.io')).toBeUndefined();
    expect(chooseProtocol(undefined)).toBeUndefined();
  });

  it('frames a channel byte before the data, both ways; an empty message opens a channel', () => {
    const m = encodeMessage(1, 'hello\n');
    expect([...m.subarray(0, 1)]).toEqual([1]);
    expect(decodeMessage(m)).toEqual({ channel: 1, data: Buffer.from('hello\n') });
    expect(decodeMessage(Buffer.of(2))).toEqual({ channel: 2, data: Buffer.alloc(0) });
    expect(decodeMessage(Buffer.alloc(0))).toBeUndefined();
    expect(decodeMessage(Buffer.of(255, 0))).toEqual({ channel: 255, data: Buffer.of(0) });
  });

  it('reads the exit code of the final Status', () => {
    expect(exitCodeOf('{"metadata":{},"status":"Success"}')).toBe(0);
    const failed = {
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    };
    expect(exitCodeOf(JSON.stringify(failed))).toBe(3);
    expect(exitCodeOf('{"status":"Failure","reason":"InternalError"}')).toBeUndefined();
    expect(exitCodeOf('not json')).toBeUndefined();
  });
});

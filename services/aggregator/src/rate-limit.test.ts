import { peerAddress } from './call-limits';
import { TokenBuckets } from './rate-limit';

class FakeClock {
  nowMs = 1_000;
  readonly now = () => this.nowMs;
}

describe('TokenBuckets', () => {
  it('admits a burst, then one call per 1 / rate, telling a refused call when its token comes', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ ratePerS: 4, burst: 3 }, clock.now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(250); // one token every 250 ms
    clock.nowMs += 100;
    expect(buckets.take('a')).toBe(150);
    clock.nowMs += 150;
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(250);
    // Idle for long enough, the bucket is full again, never fuller.
    clock.nowMs += 60_000;
    expect([0, 1, 2].map(() => buckets.take('a'))).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(250);
  });

  it('keeps one bucket per key: a client at its limit does not slow another', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ ratePerS: 1, burst: 1 }, clock.now);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(1000);
    expect(buckets.take('b')).toBe(0);
  });

  it('admits every call of 10,000 clients making a few calls a round each (the load test)', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ ratePerS: 20, burst: 100 }, clock.now);
    let refused = 0;
    // Per round: GetTask polled a few times, GetTask for the TRAIN task, the upload; rounds a second apart.
    for (let round = 0; round < 5; round++) {
      for (let call = 0; call < 6; call++) for (let c = 0; c < 10_000; c++) if (buckets.take(`c-${c}`)) refused++;
      clock.nowMs += 1000;
    }
    expect(refused).toBe(0);
  });

  it('keeps memory bounded: at most maxKeys buckets, and none once every bucket has filled up', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ ratePerS: 10, burst: 20, maxKeys: 100 }, clock.now);
    for (let c = 0; c < 1000; c++) buckets.take(`c-${c}`);
    expect(buckets.size).toBe(100);
    clock.nowMs += 1999; // 20 tokens at 10 a second: full after 2 s
    expect(buckets.size).toBe(100);
    clock.nowMs += 2;
    expect(buckets.size).toBe(0);
  });

  it('refuses settings that would refuse everything', () => {
    expect(() => new TokenBuckets({ ratePerS: 0, burst: 1 })).toThrow(/ratePerS/);
    expect(() => new TokenBuckets({ ratePerS: 1, burst: 0.5 })).toThrow(/burst/);
  });
});

describe('peerAddress', () => {
  it("drops the port of grpc-js's peer strings", () => {
    expect(peerAddress('ipv4:10.0.0.7:51234')).toBe('10.0.0.7');
    expect(peerAddress('ipv6:[::1]:51234')).toBe('::1');
    expect(peerAddress('ipv6:[2001:db8::5]:443')).toBe('2001:db8::5');
    expect(peerAddress('unix:/run/agg.sock')).toBe('unix:/run/agg.sock');
    expect(peerAddress('localhost:9')).toBe('localhost');
  });
});

import { describe, expect, it } from 'vitest';

import {
  createBackpressure,
  type PauseEvent,
  type Rejection,
  type ResumeEvent,
} from '../../src/index.js';
import { recordingLogger, refuse, reserve } from './fixtures.js';

describe('the receiver events', () => {
  it('closes at the high watermark, reopens at the low one and tells the listeners', () => {
    const pauses: PauseEvent[] = [];
    const resumes: ResumeEvent[] = [];
    const rejections: Rejection[] = [];
    const receiver = createBackpressure<string>({
      capacity: 4,
      highWatermark: 3,
      lowWatermark: 1,
      process: () => undefined,
      retryAfter: { jitter: 0 },
    });
    receiver.onPause((event) => pauses.push(event));
    receiver.onResume((event) => resumes.push(event));
    receiver.onReject((rejection) => rejections.push(rejection));

    const slots = [reserve(receiver), reserve(receiver), reserve(receiver)];
    expect(receiver.isAccepting).toBe(false);
    expect(pauses).toEqual([{ reason: 'saturated', depth: 3 }]);

    const rejection = refuse(receiver);
    expect(rejection).toEqual({
      admitted: false,
      status: 429,
      reason: 'saturated',
      retryAfterSeconds: 60,
    });
    expect(rejections).toEqual([rejection]);

    slots[0]!.release();
    expect(receiver.isAccepting).toBe(false);
    expect(receiver.snapshot().pausedBy).toBe('saturated');
    expect(resumes).toEqual([]);

    slots[1]!.release();
    expect(resumes).toEqual([{ depth: 1 }]);
    expect(receiver.isAccepting).toBe(true);
    expect(receiver.snapshot().pausedBy).toBeUndefined();
    expect(pauses).toHaveLength(1);
  });

  it('counts rejections by reason', () => {
    const receiver = createBackpressure<string>({
      capacity: 2,
      highWatermark: 1,
      lowWatermark: 0,
      process: () => undefined,
    });
    reserve(receiver);
    refuse(receiver);
    refuse(receiver);

    expect(receiver.snapshot().counters).toMatchObject({
      admitted: 1,
      rejected: 2,
      rejectedByReason: { saturated: 2 },
    });
  });

  it('stops calling a listener once disposed of', () => {
    const rejections: Rejection[] = [];
    const receiver = createBackpressure<string>({
      capacity: 2,
      highWatermark: 1,
      lowWatermark: 0,
      process: () => undefined,
    });
    const dispose = receiver.onReject((rejection) => rejections.push(rejection));
    const pauses: PauseEvent[] = [];
    const resumes: ResumeEvent[] = [];
    receiver.onPause((event) => pauses.push(event))();
    const disposeResume = receiver.onResume((event) => resumes.push(event));
    const slot = reserve(receiver);

    refuse(receiver);
    dispose();
    refuse(receiver);
    expect(rejections).toHaveLength(1);
    expect(pauses).toEqual([]);

    disposeResume();
    slot.release();
    expect(receiver.isAccepting).toBe(true);
    expect(resumes).toEqual([]);
  });

  it('reports a throwing listener to the logger and carries on', () => {
    const logger = recordingLogger();
    const receiver = createBackpressure<string>({
      capacity: 2,
      highWatermark: 1,
      lowWatermark: 0,
      process: () => undefined,
      logger,
    });
    const seen: string[] = [];
    receiver.onPause(() => {
      throw new Error('pause listener broke');
    });
    receiver.onReject(() => {
      throw new Error('reject listener broke');
    });
    receiver.onReject((rejection) => seen.push(rejection.reason));
    const slot = reserve(receiver);

    expect(refuse(receiver).reason).toBe('saturated');
    expect(seen).toEqual(['saturated']);
    expect(logger.warnings).toEqual([
      'backpressure: a listener threw: Error: pause listener broke',
      'backpressure: a listener threw: Error: reject listener broke',
    ]);
    slot.release();
    expect(receiver.isAccepting).toBe(true);
  });
});

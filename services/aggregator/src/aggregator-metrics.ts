/**
 * The aggregator's own series (the per-RPC ones come from service-kit's interceptor), in a registry of the
 * app's: rounds (duration, how they closed, clients selected and reporting), uploads (accepted or duplicate,
 * the scalar gradients' magnitude, the local steps run and skipped) and catch-ups (encoding and bytes); every
 * message's size comes from service-kit (fedkseed_grpc_server_message_bytes). Labels are
 * bounded sets (a close trigger, an encoding, an outcome), never a client or a round.
 */
import { METRIC_PREFIX } from '@fedkseed/process-kit';
import { AccumulatedDelta, type SubmitScalarGradientsRequest } from '@fedkseed/proto';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { LifecycleEvent } from './round-lifecycle';

const m = (name: string) => `${METRIC_PREFIX}${name}`;

/** |g| spans decades: a float32 finite difference over eps can be anything from 1e-6 to 1e4 and beyond. */
const SCALAR_GRAD_BUCKETS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4, 1e5];
const ROUND_SECONDS_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const CATCH_UP_BYTES_BUCKETS = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

export class AggregatorMetrics {
  readonly registry = new Registry();
  private readonly roundSeconds = new Histogram({
    name: m('round_duration_seconds'),
    help: 'Wall time of a round, from opening to the commit of its aggregate.',
    buckets: ROUND_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly roundsClosed = new Counter({
    name: m('rounds_closed_total'),
    help: 'Rounds committed, by what closed them (quorum, deadline, resume after a restart).',
    labelNames: ['trigger'],
    registers: [this.registry],
  });
  private readonly selected = new Gauge({
    name: m('round_clients_selected'),
    help: 'Clients selected for the round opened last.',
    registers: [this.registry],
  });
  private readonly reported = new Gauge({
    name: m('round_clients_reported'),
    help: 'Uploads counted in the round committed last.',
    registers: [this.registry],
  });
  private readonly open = new Gauge({
    name: m('round_open'),
    help: 'Whether a round this replica opened is collecting uploads (1) or not (0).',
    registers: [this.registry],
  });
  private readonly deadline = new Gauge({
    name: m('round_deadline_timestamp_seconds'),
    help: 'Unix time at which the round opened last stops taking uploads.',
    registers: [this.registry],
  });
  private readonly missing = new Counter({
    name: m('round_clients_missing_total'),
    help: 'Selected clients whose round committed without their upload (late or gone).',
    registers: [this.registry],
  });
  private readonly uploads = new Counter({
    name: m('uploads_total'),
    help: 'Uploads that reached the store, by outcome (accepted, duplicate); refusals are counted by reason in fedkseed_grpc_server_errors_total.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly scalarGrad = new Histogram({
    name: m('upload_scalar_gradient_abs_max'),
    help: 'The largest |scalar gradient| of each accepted upload (one observation per upload, not per pair).',
    buckets: SCALAR_GRAD_BUCKETS,
    registers: [this.registry],
  });
  private readonly stepsRun = new Counter({
    name: m('zo_steps_total'),
    help: 'Local ZO steps the accepted uploads report as run.',
    registers: [this.registry],
  });
  private readonly stepsSkipped = new Counter({
    name: m('zo_steps_skipped_total'),
    help: 'Local ZO steps the accepted uploads report as skipped (non-finite or past the clip).',
    registers: [this.registry],
  });
  private readonly clipped = new Counter({
    name: m('scalars_clipped_total'),
    help: "Accepted scalar gradients that the run's scalar_clip bounded when their round closed (a poisoning signal).",
    registers: [this.registry],
  });
  private readonly catchUps = new Counter({
    name: m('catch_ups_total'),
    help: 'Catch-ups sent with tasks, by encoding (sparse, dense, dense_bf16).',
    labelNames: ['encoding'],
    registers: [this.registry],
  });
  private readonly catchUpBytes = new Histogram({
    name: m('catch_up_bytes'),
    help: 'Size of the catch-ups sent with tasks, as protobuf on the wire.',
    labelNames: ['encoding'],
    buckets: CATCH_UP_BYTES_BUCKETS,
    registers: [this.registry],
  });
  private readonly openedAt = new Map<number, { atMs: number; selected: number }>();
  private lastTrigger = new Map<number, string>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Feed of the round lifecycle's events. */
  onLifecycleEvent(event: LifecycleEvent): void {
    if (event.type === 'opened') {
      this.openedAt.set(event.round, { atMs: this.clock(), selected: event.participants.length });
      this.selected.set(event.participants.length);
      this.open.set(1);
      this.deadline.set(event.deadlineMs / 1000);
    } else if (event.type === 'closing') {
      this.lastTrigger.set(event.round, event.trigger);
    } else if (event.type === 'closed') {
      const opened = this.openedAt.get(event.round);
      // A round opened by another replica (or before a restart) has no start here: its duration is unknown.
      if (opened) {
        this.roundSeconds.observe((this.clock() - opened.atMs) / 1000);
        this.missing.inc(Math.max(0, opened.selected - event.numUploads));
      }
      this.roundsClosed.inc({ trigger: this.lastTrigger.get(event.round) ?? 'resume' });
      this.clipped.inc(event.numClipped);
      this.open.set(0);
      this.reported.set(event.numUploads);
      this.openedAt.delete(event.round);
      this.lastTrigger.delete(event.round);
    }
  }

  /** An upload the store took (`duplicate`: the same upload again, counted once). */
  onUpload(request: SubmitScalarGradientsRequest, duplicate: boolean): void {
    this.uploads.inc({ outcome: duplicate ? 'duplicate' : 'accepted' });
    if (duplicate) return;
    // One observation per upload: a histogram observation per pair (200 an upload) cost an eighth of the upload path.
    let largest = 0;
    for (const pair of request.scalarGradients) largest = Math.max(largest, Math.abs(pair.scalarGrad));
    if (request.scalarGradients.length > 0) this.scalarGrad.observe(largest);
    this.stepsRun.inc(request.localStepsRun);
    this.stepsSkipped.inc(request.skippedSteps);
  }

  /**
   * A catch-up sent with a task (nothing is counted when the client was already current); `sizeBytes`, its size as
   * protobuf, when the caller knows it already.
   */
  onCatchUp(catchUp: AccumulatedDelta, sizeBytes?: number): void {
    if (!catchUp.encoding) return;
    const encoding = catchUp.encoding.$case === 'denseBf16' ? 'dense_bf16' : catchUp.encoding.$case;
    this.catchUps.inc({ encoding });
    this.catchUpBytes.observe({ encoding }, sizeBytes ?? AccumulatedDelta.encode(catchUp).finish().byteLength);
  }
}

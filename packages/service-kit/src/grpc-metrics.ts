/**
 * Per-RPC Prometheus metrics from a grpc-js server interceptor (grpc-js 1.10+; no maintained package exists
 * for plain grpc-js): calls started, handled by status code, handling seconds, messages received and sent, and
 * errors by code and ErrorDetail reason, labelled by service, method and call type (bounded sets: never a client
 * or a round). The names follow
 * go-grpc-prometheus's, under the project's prefix.
 */
import { status, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { METRIC_PREFIX } from '@fedkseed/process-kit';
import { errorReasonToJSON, readErrorDetail } from '@fedkseed/proto';
import { Counter, Histogram, type Registry } from 'prom-client';

const LABELS = ['grpc_service', 'grpc_method', 'grpc_type'] as const;

/** Buckets of a unary call on this system: from a cached GetTask to a catch-up of thousands of seeds. */
const HANDLING_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type CallType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** The interceptor for a `Server`'s `interceptors` option, its series registered in `registry`. */
export function grpcServerMetricsInterceptor(registry: Registry): ServerInterceptor {
  const name = (suffix: string) => `${METRIC_PREFIX}grpc_server_${suffix}`;
  const started = new Counter({
    name: name('started_total'),
    help: 'RPCs started on the server.',
    labelNames: LABELS,
    registers: [registry],
  });
  const handled = new Counter({
    name: name('handled_total'),
    help: 'RPCs completed on the server, by status code.',
    labelNames: [...LABELS, 'grpc_code'],
    registers: [registry],
  });
  const handling = new Histogram({
    name: name('handling_seconds'),
    help: 'Time from the start of an RPC to its status, on the server.',
    labelNames: LABELS,
    buckets: HANDLING_BUCKETS_SECONDS,
    registers: [registry],
  });
  const refused = new Counter({
    name: name('errors_total'),
    help: 'RPCs that ended with an error, by status code and the ErrorDetail reason the server gave ("none" when it gave none).',
    labelNames: [...LABELS, 'grpc_code', 'reason'],
    registers: [registry],
  });
  const received = new Counter({
    name: name('msg_received_total'),
    help: 'Request messages received by the server.',
    labelNames: LABELS,
    registers: [registry],
  });
  const sent = new Counter({
    name: name('msg_sent_total'),
    help: 'Response messages sent by the server.',
    labelNames: LABELS,
    registers: [registry],
  });

  // Label children per method (and per status code), made once: prom-client hashes a label object on every call
  // otherwise, five times per RPC.
  const perMethod = new Map<string, ReturnType<typeof methodSeries>>();
  function methodSeries(labels: Record<(typeof LABELS)[number], string>) {
    const handledByCode = new Map<string, Counter.Internal>();
    return {
      labels,
      started: started.labels(labels),
      received: received.labels(labels),
      sent: sent.labels(labels),
      handling: handling.labels(labels),
      handled(code: string): Counter.Internal {
        let child = handledByCode.get(code);
        if (!child) handledByCode.set(code, (child = handled.labels({ ...labels, grpc_code: code })));
        return child;
      },
    };
  }

  return (descriptor, call) => {
    let series = perMethod.get(descriptor.path);
    if (!series) {
      const [service = 'unknown', method = 'unknown'] = descriptor.path.replace(/^\//, '').split('/');
      const type: CallType = descriptor.requestStream
        ? descriptor.responseStream
          ? 'bidi_stream'
          : 'client_stream'
        : descriptor.responseStream
          ? 'server_stream'
          : 'unary';
      series = methodSeries({ grpc_service: service, grpc_method: method, grpc_type: type });
      perMethod.set(descriptor.path, series);
    }
    const s = series;
    const begin = process.hrtime.bigint();
    s.started.inc();
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            s.received.inc();
            nextMessage(message);
          },
        }),
      sendMessage: (message, next) => {
        s.sent.inc();
        next(message);
      },
      sendStatus: (outcome, next) => {
        const code = status[outcome.code] ?? String(outcome.code);
        s.handled(code).inc();
        if (outcome.code !== status.OK) {
          const detail = outcome.metadata ? readErrorDetail(outcome.metadata) : undefined;
          refused.inc({
            ...s.labels,
            grpc_code: code,
            reason: detail?.reason ? errorReasonToJSON(detail.reason) : 'none',
          });
        }
        s.handling.observe(Number(process.hrtime.bigint() - begin) / 1e9);
        next(outcome);
      },
    });
  };
}

/**
 * The size of every gRPC message a server receives and sends, measured where grpc-js turns messages into bytes
 * and back (the service definition's serializers): the bytes are counted as they are, with no second encoding on
 * the call's path. Labelled by service, method and direction only.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { METRIC_PREFIX } from '@fedkseed/process-kit';
import { Histogram, type Registry } from 'prom-client';

/** From a bare task to a dense catch-up of a large K. */
const MESSAGE_BYTES_BUCKETS = [64, 256, 1024, 2048, 4096, 8192, 16384, 65536, 262144, 1048576, 4194304];

/**
 * Registers `fedkseed_grpc_server_message_bytes` in `registry` and returns what instruments a service
 * definition: the same methods, their request deserializer and response serializer observing each message's size.
 */
export function messageBytesInstrument(
  registry: Registry,
): (name: string, definition: ServiceDefinition) => ServiceDefinition {
  const bytes = new Histogram({
    name: `${METRIC_PREFIX}grpc_server_message_bytes`,
    help: 'Size of each protobuf message the server received (request) or sent (response), gRPC framing excluded.',
    labelNames: ['grpc_service', 'grpc_method', 'direction'],
    buckets: MESSAGE_BYTES_BUCKETS,
    registers: [registry],
  });
  return (service, definition) =>
    Object.fromEntries(
      Object.entries(definition).map(([key, method]) => {
        const method_ = method.path.split('/').pop() ?? key;
        const received = bytes.labels(service, method_, 'received');
        const sent = bytes.labels(service, method_, 'sent');
        return [
          key,
          {
            ...method,
            requestDeserialize: (buffer: Buffer) => {
              received.observe(buffer.length);
              return method.requestDeserialize(buffer);
            },
            responseSerialize: (value: unknown) => {
              const out = method.responseSerialize(value);
              sent.observe(out.length);
              return out;
            },
          },
        ];
      }),
    ) as ServiceDefinition;
}

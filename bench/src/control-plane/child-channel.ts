/**
 * The bench's child processes (load generators, aggregator replicas) and the parent talk over the IPC channel:
 * the parent asks, the child answers each question in order with `{ ok: true, ... }` or `{ ok: false, error }`.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface ChildAnswer {
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

export interface ChildHandle {
  child: ChildProcess;
  /** Resolves with the child's first message (it is ready). */
  ready: Promise<unknown>;
  /** Sends `question`; resolves with the answer, rejects when the child says it failed. */
  ask<T>(question: { cmd: string; [field: string]: unknown }): Promise<T>;
  /** Other messages (events the child sends unasked, marked `event: true`). */
  onEvent(listener: (event: Record<string, unknown>) => void): void;
}

/** Forks `script args`; answers are matched to questions in order. */
export function forkChild(script: string, args: string[], label: string): ChildHandle {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: ((m: ChildAnswer) => void)[] = [];
  const listeners: ((e: Record<string, unknown>) => void)[] = [];
  let readyResolve: (m: unknown) => void = () => {};
  const ready = new Promise((resolve) => (readyResolve = resolve));
  let isReady = false;
  child.on('message', (m: ChildAnswer & { event?: boolean }) => {
    if (m.event) for (const l of listeners) l(m);
    else if (!isReady) {
      isReady = true;
      readyResolve(m);
    } else waiting.shift()?.(m);
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w({ ok: false, error: `${label} exited ${code}` });
  });
  return {
    child,
    ready,
    ask: <T>(question: { cmd: string }) =>
      new Promise<T>((resolve, reject) => {
        waiting.push((m) => (m.ok ? resolve(m as T) : reject(new Error(`${label}: ${m.error}`))));
        child.send(question);
      }),
    onEvent: (listener) => listeners.push(listener),
  };
}

/** In the child: answers each question with its handler's result; says it is ready once listening. */
export function serveParent(
  handlers: Record<string, (question: Record<string, unknown>) => Promise<Record<string, unknown>>>,
): void {
  const send = (m: unknown) => process.send!(m);
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (question: { cmd: string }) => {
    // One question at a time, answered in order.
    queue = queue.then(async () => {
      try {
        const handler = handlers[question.cmd];
        if (!handler) throw new Error(`unknown command ${question.cmd}`);
        send({ ok: true, ...(await handler(question)) });
      } catch (e) {
        send({ ok: false, error: String(e instanceof Error && e.stack ? e.stack : e) });
      }
    });
  });
  send({ ready: true });
}

/** An event from the child to the parent, outside the question-answer order. */
export const sendEvent = (event: Record<string, unknown>): void => {
  process.send!({ ...event, event: true });
};

/** Waits for events that may already have happened: every event is kept, and a wait is served from the past first. */
export class EventWaiter<E> {
  private readonly seen: E[] = [];
  private readonly waiting: { match: (e: E) => boolean; resolve: (e: E) => void }[] = [];

  push(event: E): void {
    this.seen.push(event);
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i].match(event)) {
        this.waiting[i].resolve(event);
        this.waiting.splice(i, 1);
      }
    }
  }

  /** The first event (past or future) that matches. */
  next(match: (e: E) => boolean): Promise<E> {
    const past = this.seen.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve) => this.waiting.push({ match, resolve }));
  }
}

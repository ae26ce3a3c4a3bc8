/**
 * Where the server is in its life: serving, or draining after SIGTERM/SIGINT (readiness answers
 * 503 at once so load balancers stop sending, while requests in flight complete).
 */
export class ServerLifecycle {
  private drainingSince?: number;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }
}

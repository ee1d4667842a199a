// Holding a project's trainer lease: claim it, renew it in the background (a third of its lifetime), and tell the
// stages when to stop: the lease was lost (another trainer took it after a stall), or owners paused training.
import type { TrainerApi } from "./api-client";
import { trpcCode } from "./api-client";

export class LeaseKeeper {
  /** Latest switches from the server (renewals and progress reports both refresh them). */
  paused = false;
  fineTuneRequested = false;
  private readonly lost = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly api: TrainerApi,
    readonly projectId: string,
    readonly leaseId: string,
    private readonly ttlSeconds: number,
    private readonly log: (m: string) => void,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(1000, (ttlSeconds * 1000) / 3));
    this.timer.unref();
  }

  /** Claims the lease; null when another trainer holds it. */
  static async claim(api: TrainerApi, projectId: string, holder: string, ttlSeconds: number, log: (m: string) => void): Promise<LeaseKeeper | null> {
    const r = await api.trpc.claimLease.mutate({ projectId, holder, ttlSeconds });
    if (!r.ok) {
      log(`project ${projectId}: held by ${r.holder} until ${new Date(r.expiresAt).toISOString()}; skipping`);
      return null;
    }
    log(`project ${projectId}: lease claimed`);
    return new LeaseKeeper(api, projectId, r.leaseId, r.ttlSeconds, log);
  }

  /** Aborted when the lease is lost; stages stop without writing anything more. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  get isLost(): boolean {
    return this.lost.signal.aborted;
  }

  async renew(): Promise<void> {
    if (this.isLost) return;
    try {
      const r = await this.api.trpc.renewLease.mutate({ projectId: this.projectId, leaseId: this.leaseId, ttlSeconds: this.ttlSeconds });
      this.paused = r.paused;
      this.fineTuneRequested = r.fineTuneRequested;
    } catch (err) {
      if (trpcCode(err) === "CONFLICT" || trpcCode(err) === "NOT_FOUND" || trpcCode(err) === "UNAUTHORIZED") {
        this.log(`project ${this.projectId}: lease lost (${err instanceof Error ? err.message : String(err)})`);
        this.stop();
        this.lost.abort("lease lost");
      }
      // Network trouble: keep trying; the lease outlives a few missed renewals.
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async release(): Promise<void> {
    this.stop();
    if (this.isLost) return;
    await this.api.trpc.releaseLease.mutate({ projectId: this.projectId, leaseId: this.leaseId }).catch(() => {});
  }
}

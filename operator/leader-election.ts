// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection
// does it:
// - a candidate takes the Lease when it is unheld, or when its holder has not renewed
//   it for leaseDuration as observed on the candidate's own clock (no trust in other
//   clocks: it times from when it last saw the Lease change);
// - the leader renews every retryPeriod; if it cannot renew for renewDeadline (shorter
//   than leaseDuration) it gives up leadership before anyone else may take it, so two
//   leaders never write at once;
// - every write carries the resourceVersion it read: two candidates racing for the
//   same Lease cannot both win;
// - on a graceful stop the leader releases the Lease so a successor starts at once.
import type { V1Lease } from "@kubernetes/client-node";
import { V1MicroTime } from "../common/kubernetes-client.ts";
import { errorText, type Logger } from "../common/logger.ts";
import { InterruptibleSleep } from "./controller/interruptible-sleep.ts";
import type { KubeClients } from "./kube.ts";
import { isConflict, isNotFound } from "./kube.ts";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderCallbacks {
  /** Called when this replica becomes leader; may start work. */
  onStartedLeading(): void | Promise<void>;
  /** Called when leadership is lost or given up; must stop writing before it resolves. */
  onStoppedLeading(): void | Promise<void>;
}

export class LeaderElector {
  readonly #kube: KubeClients;
  readonly #options: LeaderElectionOptions;
  readonly #callbacks: LeaderCallbacks;
  readonly #log: Logger;
  #leader = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #pause = new InterruptibleSleep();
  /** What we last saw of the Lease, and when (our clock). */
  #observed: { holder: string; renewTime: string; at: number } | undefined;

  constructor(kube: KubeClients, options: LeaderElectionOptions, callbacks: LeaderCallbacks, log: Logger) {
    this.#kube = kube;
    this.#options = options;
    this.#callbacks = callbacks;
    this.#log = log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; a leader stops its work, then releases the Lease. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pause.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let lastRenew = 0;
    while (!this.#stopped) {
      let held = false;
      try {
        // A hung request must not keep a leader from noticing that its deadline passed.
        held = await withTimeout(this.#tryAcquireOrRenew(), this.#options.renewDeadlineMs);
      } catch (error) {
        this.#log.warn("lease update failed", { error: errorText(error) });
      }
      const now = Date.now();
      if (held) {
        lastRenew = now;
        if (!this.#leader) {
          this.#leader = true;
          this.#log.info("became leader");
          await this.#callbacks.onStartedLeading();
        }
      } else if (this.#leader && now - lastRenew >= this.#options.renewDeadlineMs) {
        this.#log.warn("could not renew the lease in time; stepping down");
        await this.#stepDown();
      } else if (this.#leader && this.#observed && this.#observed.holder !== this.#options.identity) {
        this.#log.warn("the lease is held by another replica; stepping down", { holder: this.#observed.holder });
        await this.#stepDown();
      }
      await this.#pause.sleep(this.#options.retryPeriodMs);
    }
    if (this.#leader) {
      await this.#stepDown();
      await this.#release().catch((error) =>
        this.#log.warn("could not release the lease", { error: errorText(error) }),
      );
    }
  }

  async #stepDown(): Promise<void> {
    this.#leader = false;
    await this.#callbacks.onStoppedLeading();
  }

  /** Returns whether this replica holds the Lease after the attempt. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.#options;
    const leaseDurationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
    const nowMicro = new V1MicroTime(Date.now());
    let lease: V1Lease;
    try {
      lease = await this.#kube.coordination.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.#kube.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: nowMicro,
              renewTime: nowMicro,
              leaseTransitions: 0,
            },
          },
        });
        this.#observe(identity, nowMicro.toISOString());
        return true;
      } catch (createError) {
        if (isConflict(createError)) return false;
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const renewTime = spec.renewTime ? new Date(spec.renewTime).toISOString() : "";
    this.#observe(holder, renewTime);
    const observedAt = this.#observed?.at ?? Date.now();
    const expired = Date.now() >= observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && !expired) return false;
    const takingOver = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: nowMicro,
      acquireTime: takingOver
        ? nowMicro
        : spec.acquireTime
          ? new V1MicroTime(new Date(spec.acquireTime).getTime())
          : nowMicro,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder ? 1 : 0),
    };
    try {
      await this.#kube.coordination.replaceNamespacedLease({ namespace, name, body: lease });
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
    this.#observe(identity, nowMicro.toISOString());
    if (takingOver) this.#log.info("acquired the lease", { previousHolder: holder || undefined });
    return true;
  }

  #observe(holder: string, renewTime: string): void {
    if (this.#observed?.holder === holder && this.#observed.renewTime === renewTime) return;
    this.#observed = { holder, renewTime, at: Date.now() };
  }

  async #release(): Promise<void> {
    const { namespace, name, identity } = this.#options;
    const lease = await this.#kube.coordination.readNamespacedLease({ namespace, name });
    if (lease.spec?.holderIdentity !== identity) return;
    const now = new V1MicroTime(Date.now());
    lease.spec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
    await this.#kube.coordination.replaceNamespacedLease({ namespace, name, body: lease });
    this.#log.info("released the lease");
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lease request took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

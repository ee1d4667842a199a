// Data-parallel training steps on the wasm backend with worker threads (wasm runs one thread in Node). Each
// worker holds a replica of encoder + head and takes one shard of the batch; the main thread sums their
// gradients and every replica applies the same update. Batch norm statistics are per shard (like multi-GPU
// SimCLR without synchronised BN). Node only.
//   - SimCLR (`step`): the main thread computes NT-Xent over ALL embeddings (the negatives span the whole batch)
//     and sends each shard its dLoss/dz through shared memory before the workers backpropagate.
//   - Supervised (`stepSupervised`): cross-entropy is per image, so each shard's weighted loss is independent.
//   - Distillation (`stepDistil`): each worker also holds the frozen teacher and labels its own shard with it. The
//     teacher's forward pass is most of a distillation step (a ResNet teaching a much smaller student), so it has to
//     be split too; the main thread only augments and sums.
import { Worker } from "node:worker_threads";
import { tf, type tfl } from "../tf.js";
import { ntXentLoss } from "../losses/ntXent.js";
import type { OptimizerName } from "../optim/lars.js";
import type { OptimizerSlot } from "./replicaWorker.js";
import { workerEntry } from "./workerEntry.js";

type Msg = { type: string; rows?: number; grads?: Float32Array; loss?: number; weights?: Float32Array[]; slots?: OptimizerSlot[] };

export interface DataParallelOptions {
  workers: number;
  /**
   * Models to replicate (topology and current weights); `syncTo` copies the trained weights back. The head is
   * the projection head for SimCLR steps, a classifier head for supervised ones; without one, the encoder's output
   * is the prediction (a student for distillation).
   */
  encoder: tfl.LayersModel;
  head?: tfl.LayersModel;
  /** The frozen teacher (encoder -> classifier head, or one model; inference mode) that distillation steps learn from. */
  teacher?: { encoder: tfl.LayersModel; head?: tfl.LayersModel };
  optimizer?: OptimizerName;
  learningRate: number;
  weightDecay?: number;
  /** NT-Xent temperature (SimCLR steps). */
  temperature?: number;
  /** Upper bound on views per step (sizes the shared exchange area). */
  maxViews: number;
}

export class DataParallelTrainer {
  private readonly workers: Worker[] = [];
  private readonly inbox: Msg[][] = [];
  private readonly waiters: ((m: Msg) => void)[][] = [];
  private readonly flags: Int32Array[] = [];
  private readonly exchange: Float32Array;
  private readonly outDim: number;

  private constructor(private readonly o: DataParallelOptions) {
    this.outDim = (o.head ?? o.encoder).outputs[0]!.shape[1]!;
    this.exchange = new Float32Array(new SharedArrayBuffer(4 * o.maxViews * this.outDim));
  }

  static async create(o: DataParallelOptions): Promise<DataParallelTrainer> {
    const dp = new DataParallelTrainer(o);
    const perWorker = Math.ceil(o.maxViews / o.workers);
    for (let i = 0; i < o.workers; i++) {
      const control = new SharedArrayBuffer(4);
      dp.flags.push(new Int32Array(control));
      const w = new Worker(workerEntry(import.meta.url, "replicaWorker"), {
        workerData: {
          encoder: o.encoder.toJSON(null, false),
          head: o.head?.toJSON(null, false) ?? null,
          teacher: o.teacher ? { encoder: o.teacher.encoder.toJSON(null, false), head: o.teacher.head?.toJSON(null, false) ?? null } : null,
          optimizer: o.optimizer ?? "adam",
          learningRate: o.learningRate,
          weightDecay: o.weightDecay ?? 0,
          control,
          exchange: dp.exchange.buffer,
          offset: i * perWorker * dp.outDim,
        },
      });
      dp.inbox.push([]);
      dp.waiters.push([]);
      w.on("message", (m: Msg) => {
        const wait = dp.waiters[i]!.shift();
        if (wait) wait(m);
        else dp.inbox[i]!.push(m);
      });
      w.on("error", (e) => {
        console.error(`worker ${i} failed:`, e);
        for (const f of dp.waiters[i]!.splice(0)) f({ type: `error: ${e.message}` });
      });
      dp.workers.push(w);
    }
    await Promise.all(dp.workers.map((_, i) => dp.next(i, "started")));
    // Same initial weights everywhere: the main thread's (and the teacher's, after them).
    const teacher = o.teacher ? [o.teacher.encoder, ...(o.teacher.head ? [o.teacher.head] : [])] : [];
    const weights = [o.encoder, ...(o.head ? [o.head] : []), ...teacher].flatMap((m) => m.getWeights()).map((w) => w.dataSync().slice() as Float32Array);
    for (let i = 0; i < o.workers; i++) dp.workers[i]!.postMessage({ type: "weights", weights });
    await Promise.all(dp.workers.map((_, i) => dp.next(i, "ready")));
    return dp;
  }

  private next(i: number, type: string): Promise<Msg> {
    const m = this.inbox[i]!.shift();
    const check = (msg: Msg) => {
      if (msg.type !== type) throw new Error(`worker ${i}: expected ${type}, got ${msg.type}`);
      return msg;
    };
    if (m) return Promise.resolve(check(m));
    return new Promise((resolve, reject) =>
      this.waiters[i]!.push((msg) => {
        try {
          resolve(check(msg));
        } catch (e) {
          reject(e);
        }
      }),
    );
  }

  /**
   * One step on `views` = [view1 of N images; view2 of the same N], NHWC float32. Returns the NT-Xent loss.
   * Each worker gets half of view 1 and the matching half of view 2, so positives stay within a shard.
   */
  async step(views: Float32Array, shape: [number, number, number, number], learningRate: number): Promise<number> {
    const [v, h, w, c] = shape;
    const n = v / 2;
    const k = this.workers.length;
    const per = Math.ceil(n / k);
    const img = h * w * c;
    const d = this.outDim;
    const perWorker = Math.ceil(this.o.maxViews / k);
    const shards: [number, number][] = [];
    for (let i = 0; i < k; i++) shards.push([i * per, Math.min(n, (i + 1) * per)]);
    shards.forEach(([a, b], i) => {
      const part = new Float32Array(2 * (b - a) * img);
      part.set(views.subarray(a * img, b * img), 0);
      part.set(views.subarray((n + a) * img, (n + b) * img), (b - a) * img);
      this.workers[i]!.postMessage({ type: "step", views: part, shape: [2 * (b - a), h, w, c] }, [part.buffer]);
    });
    await Promise.all(this.workers.map((_, i) => this.next(i, "z")));
    // Reassemble z1 (first views) and z2 (second views) in image order, compute the loss and dz.
    const z1 = new Float32Array(n * d),
      z2 = new Float32Array(n * d);
    shards.forEach(([a, b], i) => {
      const base = i * perWorker * d,
        m = b - a;
      z1.set(this.exchange.subarray(base, base + m * d), a * d);
      z2.set(this.exchange.subarray(base + m * d, base + 2 * m * d), a * d);
    });
    const { loss, g1, g2 } = tf.tidy(() => {
      const t1 = tf.tensor2d(z1, [n, d]),
        t2 = tf.tensor2d(z2, [n, d]);
      const { value, grads } = tf.valueAndGrads((p: tf.Tensor, q: tf.Tensor) => ntXentLoss(p as tf.Tensor2D, q as tf.Tensor2D, this.o.temperature ?? 0.2))([t1, t2]);
      return { loss: value.dataSync()[0]!, g1: grads[0]!.dataSync(), g2: grads[1]!.dataSync() };
    });
    shards.forEach(([a, b], i) => {
      const base = i * perWorker * d,
        m = b - a;
      this.exchange.set(g1.subarray(a * d, b * d), base);
      this.exchange.set(g2.subarray(a * d, b * d), base + m * d);
      Atomics.store(this.flags[i]!, 0, 1);
      Atomics.notify(this.flags[i]!, 0);
    });
    await this.sumAndApply(learningRate);
    return loss;
  }

  /**
   * One supervised step (softmax cross-entropy of encoder + classifier head) on `images` [n, h, w, c] NHWC float32
   * with integer `labels`; each worker takes a contiguous shard. Returns the batch's mean loss.
   */
  async stepSupervised(images: Float32Array, shape: [number, number, number, number], labels: Int32Array, learningRate: number): Promise<number> {
    const busy = this.sendShards(images, shape, (a, b, share) => ({ type: "stepSupervised", labels: labels.slice(a, b), share }));
    return this.sumAndApply(learningRate, busy);
  }

  /**
   * One distillation step (needs `teacher`): the student (encoder [+ head]) learns the teacher's softened
   * distribution on `images`, as `distil` computes it, optionally mixed with ground truth where `groundTruth.has`
   * is 1. Returns the batch's loss.
   */
  async stepDistil(
    images: Float32Array,
    shape: [number, number, number, number],
    learningRate: number,
    o: { temperature: number; groundTruth?: { labels: Int32Array; has: Float32Array; weight: number }; targets?: Float32Array },
  ): Promise<number> {
    if (!this.o.teacher && !o.targets) throw new Error("stepDistil needs a teacher or the teacher's targets");
    const classes = o.targets ? o.targets.length / shape[0] : 0;
    const gt = o.groundTruth;
    const labelled = gt ? gt.has.reduce((s, v) => s + v, 0) : 0;
    // The soft term is a batch mean (each shard weighted by its share); the ground-truth term a mean over the
    // batch's labelled rows, so each shard sums its own and divides by the batch's count.
    const a = gt && labelled > 0 ? gt.weight : 0;
    const busy = this.sendShards(images, shape, (lo, hi, share) => ({
      type: "stepDistil",
      temperature: o.temperature,
      targets: o.targets ? o.targets.slice(lo * classes, hi * classes) : null,
      share: share * (1 - a),
      groundTruth: a > 0 ? { labels: gt!.labels.slice(lo, hi), has: gt!.has.slice(lo, hi), scale: a / labelled } : null,
    }));
    return this.sumAndApply(learningRate, busy);
  }

  /** Posts each worker a contiguous shard of `images` with `extra(first, end, share)`; returns the workers used. */
  private sendShards(images: Float32Array, shape: [number, number, number, number], extra: (a: number, b: number, share: number) => object): number[] {
    const [n, h, w, c] = shape;
    const k = Math.min(this.workers.length, n);
    const per = Math.ceil(n / k),
      img = h * w * c;
    const busy: number[] = [];
    for (let i = 0; i < k; i++) {
      const a = i * per,
        b = Math.min(n, a + per);
      if (a >= b) break;
      const views = images.slice(a * img, b * img);
      this.workers[i]!.postMessage({ ...extra(a, b, (b - a) / n), views, shape: [b - a, h, w, c] }, [views.buffer]);
      busy.push(i);
    }
    return busy;
  }

  /** Sums the shards' gradients (from the given workers) and applies them on every replica; returns the summed loss parts. */
  private async sumAndApply(learningRate: number, from = this.workers.map((_, i) => i)): Promise<number> {
    const grads = await Promise.all(from.map((i) => this.next(i, "grads")));
    const sum = grads[0]!.grads!;
    for (let i = 1; i < grads.length; i++) {
      const g = grads[i]!.grads!;
      for (let j = 0; j < sum.length; j++) sum[j]! += g[j]!;
    }
    this.workers.forEach((w) => w.postMessage({ type: "apply", grads: sum, lr: learningRate }));
    await Promise.all(this.workers.map((_, i) => this.next(i, "applied")));
    return grads.reduce((s, g) => s + (g.loss ?? 0), 0);
  }

  /** Trained weights of a replica (encoder then head, in getWeights order; not the teacher's). */
  async weights(replica = 0): Promise<Float32Array[]> {
    this.workers[replica]!.postMessage({ type: "getWeights" });
    return (await this.next(replica, "weights")).weights!;
  }

  /**
   * Copies replica 0's optimizer state (iteration count and slots; identical on every replica) into
   * `optimizer`, a main-thread instance of the same kind, so a checkpoint of it resumes exactly.
   */
  async syncOptimizerTo(optimizer: tf.Optimizer): Promise<void> {
    this.workers[0]!.postMessage({ type: "getOptimizer" });
    const slots = (await this.next(0, "optimizer")).slots!;
    if (slots.length === 0) return;
    // setWeights replaces the slot variables: the old ones (and getWeights' fresh iteration scalar) are ours to free.
    const old = await optimizer.getWeights();
    await optimizer.setWeights(slots.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape) })));
    tf.dispose(old.map((w) => w.tensor));
  }

  /** Gives every replica the state of a main-thread optimizer (a resumed run's). */
  async loadOptimizerFrom(optimizer: tf.Optimizer): Promise<void> {
    const ws = await optimizer.getWeights();
    if (ws.length <= 1) {
      tf.dispose(ws.map((w) => w.tensor));
      return; // no slots yet: nothing to carry over
    }
    const slots: OptimizerSlot[] = ws.map((w) => ({ name: w.name, shape: w.tensor.shape, values: w.tensor.dataSync().slice() as Float32Array }));
    tf.dispose(ws.filter((w) => w.name === "iter").map((w) => w.tensor));
    this.workers.forEach((w) => w.postMessage({ type: "setOptimizer", slots }));
    await Promise.all(this.workers.map((_, i) => this.next(i, "optimizerSet")));
  }

  /** Copies replica 0's weights (batch-norm statistics included) into the main thread's models. */
  async syncTo(encoder: tfl.LayersModel = this.o.encoder, head: tfl.LayersModel | undefined = this.o.head): Promise<void> {
    const ws = await this.weights(0);
    const all = [...encoder.getWeights(), ...(head?.getWeights() ?? [])];
    const ts = ws.map((w, i) => tf.tensor(w, all[i]!.shape));
    const ne = encoder.getWeights().length;
    encoder.setWeights(ts.slice(0, ne));
    head?.setWeights(ts.slice(ne));
    tf.dispose(ts);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

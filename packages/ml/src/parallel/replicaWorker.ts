// Worker side of DataParallelTrainer (./dataParallel.ts): one replica of encoder + head on its own
// single-threaded wasm backend.
//   - Contrastive step ("step", head = projection head): it embeds its shard of the views, hands the embeddings
//     to the main thread and blocks (Atomics.wait, inside the gradient computation) until the main thread, which
//     sees every shard's embeddings, returns dLoss/dz; then it backpropagates sum(z * dz), whose parameter
//     gradient is this shard's share of the global NT-Xent gradient.
//   - Supervised step ("stepSupervised", head = classifier head): the loss is per image, so each shard's
//     cross-entropy, weighted by its share of the batch, is its share of the batch mean.
//   - Distillation step ("stepDistil", no head: the encoder is the student): the worker's copy of the frozen
//     teacher labels the shard, and the student's loss against those soft labels is again per image.
// The main thread sums the shards' gradients and every replica applies the same update, so the replicas stay
// identical.
import { parentPort, workerData } from "node:worker_threads";
import { tf } from "../tf.js";
import { selectBackend } from "../backend/select.js";
import { tfl } from "../tf.js";
import { registerFastBatchNorm } from "../models/batchNorm.js";
import { createOptimizer, setLearningRate, type OptimizerName } from "../optim/lars.js";
import { softmaxCrossEntropy } from "../losses/softmaxCrossEntropy.js";
import { variablesOf } from "../models/variables.js";

/** One optimizer weight (the iteration count or a slot) as it crosses threads. */
export interface OptimizerSlot {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface WorkerInit {
  /** Keras-style topologies (model.toJSON) of encoder and head (none: the encoder is the whole model), and of a
   * frozen teacher; weights follow in a message. */
  encoder: object;
  head: object | null;
  teacher: { encoder: object; head: object | null } | null;
  optimizer: OptimizerName;
  learningRate: number;
  weightDecay: number;
  /** Int32 [flag] + Float32 exchange area, shared with the main thread. */
  control: SharedArrayBuffer;
  exchange: SharedArrayBuffer;
  /** Offset (floats) of this worker's embedding block in `exchange`. */
  offset: number;
}

const init = workerData as WorkerInit;
await selectBackend({ order: ["wasm"] });
registerFastBatchNorm();
const fromJSON = (topology: object) => tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
const encoder = await fromJSON(init.encoder);
const head = init.head ? await fromJSON(init.head) : null;
const trained = head ? [encoder, head] : [encoder];
const teacher = init.teacher ? [await fromJSON(init.teacher.encoder), ...(init.teacher.head ? [await fromJSON(init.teacher.head)] : [])] : [];
const vars = variablesOf(...trained);
/** The trained model's output: embeddings (contrastive) or logits. */
const forward = (x: tf.Tensor) => trained.reduce((h, m) => m.apply(h, { training: true }) as tf.Tensor, x) as tf.Tensor2D;
const optimizer = createOptimizer(init.optimizer, init.learningRate, init.weightDecay);
const flag = new Int32Array(init.control);
const shared = new Float32Array(init.exchange);
const port = parentPort!;

/** The gradients in `vars` order as one array (what the main thread sums), freeing the tensors. */
function flatten(grads: tf.NamedTensorMap): Float32Array<ArrayBuffer> {
  const flat = new Float32Array(vars.reduce((s, v) => s + v.size, 0));
  let o = 0;
  for (const v of vars) {
    flat.set(grads[v.name]!.dataSync(), o);
    o += v.size;
  }
  tf.dispose(Object.values(grads));
  return flat;
}

/** Sets the weights of `models`, in order, from one list; returns how many were used. */
function setAll(models: tfl.LayersModel[], weights: Float32Array[]): number {
  let o = 0;
  for (const model of models) {
    const ws = model.getWeights().map((w, i) => tf.tensor(weights[o + i]!, w.shape));
    model.setWeights(ws);
    tf.dispose(ws);
    o += ws.length;
  }
  return o;
}

interface Message {
  type: string;
  views?: Float32Array;
  shape?: number[];
  labels?: Int32Array;
  share?: number;
  temperature?: number;
  groundTruth?: { labels: Int32Array; has: Float32Array; scale: number } | null;
  /** Distillation targets for the shard (rows of the teacher's distribution on the clean images), when precomputed. */
  targets?: Float32Array | null;
  grads?: Float32Array;
  weights?: Float32Array[];
  lr?: number;
  slots?: OptimizerSlot[];
}

port.on("message", async (m: Message) => {
  if (m.type === "weights") {
    setAll([...trained, ...teacher], m.weights!);
    port.postMessage({ type: "ready" });
  } else if (m.type === "step") {
    const x = tf.tensor4d(m.views!, m.shape as [number, number, number, number]);
    const { grads, value } = tf.variableGrads(() => {
      const z = forward(x);
      const zv = z.dataSync();
      shared.set(zv, init.offset);
      Atomics.store(flag, 0, 0);
      port.postMessage({ type: "z", rows: z.shape[0] });
      Atomics.wait(flag, 0, 0); // main thread writes dz in place and sets the flag
      const dz = tf.tensor2d(shared.slice(init.offset, init.offset + zv.length), z.shape);
      return tf.sum(tf.mul(z, dz)) as tf.Scalar;
    }, vars);
    value.dispose();
    x.dispose();
    const flat = flatten(grads);
    port.postMessage({ type: "grads", grads: flat }, [flat.buffer]);
  } else if (m.type === "stepSupervised") {
    const x = tf.tensor4d(m.views!, m.shape as [number, number, number, number]);
    const y = tf.tensor1d(m.labels!, "int32");
    const { grads, value } = tf.variableGrads(() => {
      return tf.mul(softmaxCrossEntropy(forward(x), y), m.share!) as tf.Scalar;
    }, vars);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, x, y]);
    const flat = flatten(grads);
    port.postMessage({ type: "grads", grads: flat, loss }, [flat.buffer]);
  } else if (m.type === "stepDistil") {
    // As distil() on one thread: the teacher in inference mode softened by the temperature, the student's
    // softened cross-entropy against it (weighted by shard share and 1 - a), plus a * CE on labelled rows.
    const tau = m.temperature!;
    const x = tf.tensor4d(m.views!, m.shape as [number, number, number, number]);
    // Targets computed once on the clean images come with the shard; otherwise the teacher labels this view.
    const target = m.targets
      ? tf.tensor2d(m.targets, [m.shape![0]!, m.targets.length / m.shape![0]!])
      : tf.tidy(
          () =>
            tf.softmax(
              tf.div(
                teacher.reduce((h, m) => m.apply(h, { training: false }) as tf.Tensor, x as tf.Tensor),
                tau,
              ),
            ) as tf.Tensor2D,
        );
    const gt = m.groundTruth;
    const { grads, value } = tf.variableGrads(() => {
      const logits = forward(x);
      let loss = tf.mul(softmaxCrossEntropy(tf.div(logits, tau) as tf.Tensor2D, target), m.share!) as tf.Scalar;
      if (gt) {
        const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
        const picked = tf.sum(tf.mul(tf.oneHot(tf.tensor1d(gt.labels, "int32"), logits.shape[1]), logp), 1);
        loss = tf.add(loss, tf.mul(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(gt.has)))), gt.scale)) as tf.Scalar;
      }
      return loss;
    }, vars);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, x, target]);
    const flat = flatten(grads);
    port.postMessage({ type: "grads", grads: flat, loss }, [flat.buffer]);
  } else if (m.type === "apply") {
    // The summed gradient of all shards, applied identically on every replica.
    setLearningRate(optimizer, m.lr!);
    let o = 0;
    const named = vars.map((v) => {
      const tensor = tf.tensor(m.grads!.subarray(o, o + v.size), v.shape);
      o += v.size;
      return { name: v.name, tensor };
    });
    optimizer.applyGradients(named);
    tf.dispose(named.map((g) => g.tensor));
    port.postMessage({ type: "applied" });
  } else if (m.type === "getOptimizer") {
    // The optimizer's state (iteration count and slots), for checkpoints that resume exactly.
    const ws = await optimizer.getWeights();
    const slots: OptimizerSlot[] = ws.map((w) => ({ name: w.name, shape: w.tensor.shape, values: w.tensor.dataSync().slice() as Float32Array }));
    tf.dispose(ws.filter((w) => w.name === "iter").map((w) => w.tensor)); // a fresh scalar; slots are the optimizer's own
    port.postMessage({ type: "optimizer", slots });
  } else if (m.type === "setOptimizer") {
    await optimizer.setWeights(m.slots!.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape) })));
    port.postMessage({ type: "optimizerSet" });
  } else if (m.type === "getWeights") {
    const ws = trained.flatMap((model) => model.getWeights()).map((w) => w.dataSync().slice() as Float32Array);
    port.postMessage({ type: "weights", weights: ws });
  }
});
port.postMessage({ type: "started" });

// Batch normalisation whose training-mode forward and backward are each a handful of whole-tensor passes.
// tfjs-layers' BatchNormalization trains through tf.moments + the FusedBatchNorm gradient, which together
// take ~15 passes over the activation, including a Tile that is the slowest kernel of a wasm training step.
// Here the gradient is the closed form
//   dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)),  dgamma = sum(dy * xhat),  dbeta = sum(dy).
// The layer subclasses the stock one and keeps its class name, so saved models are plain
// "BatchNormalization" layers that stock tf.loadLayersModel reads; only training mode differs.
import { tf, tfl } from "../tf.js";
import { BATCH_NORM_BACKWARD, BATCH_NORM_FORWARD } from "../backend/wasmTraining.js";

export interface BatchNormTrainResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

// Per-channel sums without wasm's Sum over leading axes (which transposes the whole tensor first, ~50x
// slower): a global average pool (XNNPACK) per image, then ones[1, N] x S[N, C]. A single ones x X[M, C]
// product is as fast only when X is a constant: the wasm backend repacks a new right-hand matrix every call.
const onesCache = new Map<string, tf.Tensor2D>();
function onesRow(m: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${m}`;
  let t = onesCache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.ones([1, m])) as tf.Tensor2D;
    onesCache.set(key, t);
  }
  return t;
}

/** Sum over every axis but the last, as a [C] tensor. */
export function channelSum(t: tf.Tensor): tf.Tensor1D {
  const c = t.shape[t.rank - 1]!;
  if (t.rank === 4 && tf.getBackend() === "wasm") {
    const [n, h, w] = t.shape as [number, number, number, number];
    const perImage = tf.reshape(tf.avgPool(t as tf.Tensor4D, [h, w], 1, "valid"), [n, c]);
    return tf.reshape(tf.matMul(onesRow(n), tf.mul(perImage, h * w)), [c]) as tf.Tensor1D;
  }
  const m = t.size / c;
  return tf.reshape(tf.matMul(onesRow(m), tf.reshape(t, [m, c])), [c]) as tf.Tensor1D;
}

/**
 * Training-mode batch norm over every axis but the last, with the closed-form gradient.
 * The returned batch statistics are kept outside any tidy scope: the caller disposes them.
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  const c = x.shape[x.rank - 1]!;
  const backend = tf.getBackend();
  // The two-pass kernels: wasm's SIMD ones (channels in fours), webgpu's (../backend/webgpuTraining.ts).
  if (((backend === "wasm" && c % 4 === 0) || backend === "webgpu") && x.dtype === "float32" && tf.getKernel(BATCH_NORM_FORWARD, backend)) {
    return batchNormTrainSimd(x, gamma, beta, epsilon);
  }
  return batchNormTrainComposed(x, gamma, beta, epsilon);
}

/** Same contract, each direction two passes over the tensor (../backend/simdKernels.ts, ../backend/webgpuTraining.ts). */
function batchNormTrainSimd(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const f = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const [xi, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (t: tf.Tensor[]) => void;
    const [y, mean, variance, rstd] = tf.engine().runKernel(BATCH_NORM_FORWARD, { x: xi, gamma: g, beta: b }, { epsilon } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    stats = { mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D) };
    save([xi, mean!, rstd!, g]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, rs, gs] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        return tf.engine().runKernel(BATCH_NORM_BACKWARD, { dy, x: xs, gamma: gs, mean: mu, rstd: rs }, {}) as unknown as tf.Tensor[];
      },
    };
  });
  const y = f(x, gamma, beta) as tf.Tensor;
  return { y, mean: stats!.mean, variance: stats!.variance };
}

function batchNormTrainComposed(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const f = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const [xi, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (t: tf.Tensor[]) => void;
    const count = xi.size / xi.shape[xi.rank - 1]!;
    const mean = tf.div(channelSum(xi), count) as tf.Tensor1D;
    // E[x^2] - E[x]^2: one pass fewer than E[(x - mean)^2]; clamped, since rounding can make it negative.
    const variance = tf.relu(tf.sub(tf.div(channelSum(tf.square(xi)), count), tf.square(mean))) as tf.Tensor1D;
    // customGrad runs this in a tidy; the statistics are kept for the caller (moving averages).
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const a = tf.mul(g, rstd); // y = x * a + (beta - mean * a)
    const y = tf.add(tf.mul(xi, a), tf.sub(b, tf.mul(mean, a)));
    save([xi, mean, rstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, rs, gs] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const n = xs.size / xs.shape[xs.rank - 1]!;
        // With xhat = (x - mu) * rs:  dbeta = sum(dy),  dgamma = sum(dy * xhat) = rs * (sum(dy * x) - mu * dbeta),
        // dx = gamma * rs * (dy - dbeta / n - xhat * dgamma / n) = dy * k1 + x * k2 + k3.
        const dbeta = channelSum(dy);
        const dgamma = tf.mul(rs, tf.sub(channelSum(tf.mul(dy, xs)), tf.mul(mu, dbeta))) as tf.Tensor1D;
        const k1 = tf.mul(gs, rs);
        const k2 = tf.neg(tf.div(tf.mul(tf.mul(k1, rs), dgamma), n));
        const k3 = tf.sub(tf.neg(tf.div(tf.mul(k1, dbeta), n)), tf.mul(k2, mu));
        const dx = tf.add(tf.add(tf.mul(dy, k1), tf.mul(xs, k2)), k3);
        return [dx, dgamma, dbeta];
      },
    };
  });
  const y = f(x, gamma, beta) as tf.Tensor;
  return { y, mean: stats!.mean, variance: stats!.variance };
}

type BNArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type Kwargs = { training?: boolean };
// The stock class is not exported by name; take it from an instance.
const StockBatchNormalization = Object.getPrototypeOf(tfl.layers.batchNormalization({})).constructor as {
  new (args?: BNArgs): tfl.layers.Layer;
  className: string;
};

interface StockBNFields {
  axis: number | number[];
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor };
  beta: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(t: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(t: tf.Tensor): void };
}

export class FastBatchNormalization extends StockBatchNormalization {
  // Same class name as the stock layer: serialised models stay standard.
  static override className = "BatchNormalization";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as StockBNFields;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1 || (Array.isArray(self.axis) && self.axis.length === 1 && (self.axis[0] === -1 || self.axis[0] === x.rank - 1));
    if (!kwargs?.training || !self.center || !self.scale || !lastAxis) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTrain(x, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      const decay = 1 - self.momentum;
      for (const [v, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        const orig = v.read();
        v.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

/** Drop-in for tfl.layers.batchNormalization with the fast training path. */
export function batchNormalization(args: BNArgs): tfl.layers.Layer {
  return new FastBatchNormalization(args);
}

/**
 * Makes models loaded from JSON in this thread (saved topologies name the stock "BatchNormalization") use the fast
 * training path: worker replicas, and a published teacher loaded to train further as its own student. Inference is
 * the stock layer's either way.
 */
export function registerFastBatchNorm(): void {
  tf.serialization.registerClass(FastBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

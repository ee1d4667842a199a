// Batch normalisation whose training-mode forward and backward are each a handful of whole-tensor passes.
// tfjs-layers' BatchNormalization trains through tf.moments + the FusedBatchNorm gradient, which together
// take ~15 passes over the activation, including a Tile that is the slowest kernel of a wasm training step.
// Here the gradient is the closed form
//   dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)),  dgamma = sum(dy * xhat),  dbeta = sum(dy).
// The layer subclasses the stock one and keeps its class name, so saved models are plain
// "BatchNormalization" layers that stock tf.loadLayersModel reads; only training mode differs.
import { tf, tfl } from "../tf.js";

export interface BatchNormTrainResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm over every axis but the last, with the closed-form gradient.
 * The returned batch statistics are kept outside any tidy scope: the caller disposes them.
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const f = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const [xi, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (t: tf.Tensor[]) => void;
    const m = tf.moments(xi, axes);
    // customGrad runs this in a tidy; the statistics are kept for the caller (moving averages).
    stats = { mean: tf.keep(m.mean) as tf.Tensor1D, variance: tf.keep(m.variance) as tf.Tensor1D };
    const y = tf.batchNorm(xi, m.mean, m.variance, b, g, epsilon);
    save([xi, m.mean, m.variance, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mean, variance, gs] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const count = xs.size / xs.shape[xs.rank - 1]!;
        const xhat = tf.batchNorm(xs, mean, variance, undefined, undefined, epsilon);
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, xhat), axes);
        const scale = tf.mul(gs, tf.rsqrt(tf.add(variance, epsilon))); // gamma * rstd, per channel
        // dx = scale * dy - scale * mean(dy) - scale * mean(dy * xhat) * xhat
        const a = tf.mul(scale, tf.div(dgamma, -count));
        const c = tf.mul(scale, tf.div(dbeta, -count));
        const dx = tf.add(tf.add(tf.mul(dy, scale), tf.mul(xhat, a)), c);
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

class FastBatchNormalization extends StockBatchNormalization {
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
      for (const [v, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
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

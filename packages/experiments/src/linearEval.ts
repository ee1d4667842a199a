// Linear evaluation (SimCLR's standard test of a representation): the pretrained encoder is frozen, its features
// are computed once (inference mode), and only a linear softmax classifier is trained on them.
import { mulberry32, softmaxCrossEntropy, tf, type ImageSource, type ProgressCallback, type tfl } from "@fewlabel/ml";

/** Encoder features [n, d] of the given images, in inference mode, computed in batches. */
export async function encoderFeatures(encoder: tfl.LayersModel, images: ImageSource, indices: ArrayLike<number>, batchSize: number): Promise<tf.Tensor2D> {
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < indices.length; s += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, indices.length - s) }, (_, i) => indices[s + i]!);
    parts.push(tf.tidy(() => encoder.apply(images.get(batch), { training: false }) as tf.Tensor2D));
    await new Promise((r) => setImmediate(r));
  }
  const all = tf.concat(parts, 0) as tf.Tensor2D;
  parts.forEach((p) => p.dispose());
  return all;
}

export interface LinearProbe {
  /** Class logits of feature rows. */
  logits(features: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/** Trains a linear classifier (weights + bias) on feature rows with Adam and seeded minibatches. */
export async function trainLinearProbe(o: {
  features: tf.Tensor2D;
  labels: ArrayLike<number>;
  numClasses: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}): Promise<LinearProbe> {
  const [n, d] = o.features.shape;
  const random = mulberry32(o.seed);
  const w = tf.variable(tf.randomNormal([d, o.numClasses], 0, Math.sqrt(1 / d), "float32", o.seed));
  const b = tf.variable(tf.zeros([o.numClasses]));
  // Standardising the features (with the training rows' statistics) lets one learning rate suit any encoder.
  const { mean, variance } = tf.moments(o.features, 0);
  const scale = tf.tidy(() => tf.rsqrt(tf.add(variance, 1e-6)));
  const normalise = (f: tf.Tensor2D) => tf.mul(tf.sub(f, mean), scale) as tf.Tensor2D;
  const y = tf.tensor1d(Array.from(o.labels), "int32");
  const optimizer = tf.train.adam(o.learningRate);
  const t0 = performance.now();
  for (let k = 0; k < o.steps; k++) {
    if (o.signal?.aborted) throw new Error(`linear evaluation aborted at step ${k}`);
    const idx = tf.tensor1d(Array.from({ length: Math.min(o.batchSize, n) }, () => Math.floor(random() * n)), "int32");
    const loss = optimizer.minimize(() => {
      const x = normalise(tf.gather(o.features, idx) as tf.Tensor2D);
      return softmaxCrossEntropy(tf.add(tf.matMul(x, w), b) as tf.Tensor2D, tf.gather(y, idx) as tf.Tensor1D);
    }, true, [w, b])!;
    idx.dispose();
    if ((k + 1) % 50 === 0 || k + 1 === o.steps) {
      const value = (await loss.data())[0]!;
      await o.onProgress?.({ stage: "finetune", step: k + 1, totalSteps: o.steps, loss: value, imagesPerSecond: ((k + 1) * o.batchSize * 1000) / (performance.now() - t0) });
    }
    loss.dispose();
  }
  y.dispose();
  optimizer.dispose();
  return {
    logits: (f) => tf.tidy(() => tf.add(tf.matMul(normalise(f), w), b) as tf.Tensor2D),
    dispose: () => [w, b, mean, variance, scale].forEach((t) => t.dispose()),
  };
}

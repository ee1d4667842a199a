// The pixel expert beside a fine-tuned teacher: logistic regression on the input's pixels and their edge energies
// (pixelExpertRows in @fewlabel/ml: Sobel gradients in 8 directions, rectified, averaged over cells of a sixteenth of
// the side) of the training labels, folded into one dense layer and added to the network's logits in the exported
// teacher (assembleTeacher's `pixelExpert`): a product of two experts whose errors differ. Measured offline
// (packages/ml/bench/semi.ts, Fashion-MNIST, 3,000 images, a 15-epoch encoder, 2,000 unseen test images):
//   300 labels: network 77.2%, pixel logistic regression 77.2%, the two together 80.0%;
//    30 labels: network 51.5%, pixel logistic regression 56.4%, the two together 57.9%
// (summed logits, half and half; averaged probabilities read 79.4% and 57.3%; the weight is PIXEL_EXPERT_WEIGHT's).
// With the edge energies beside the pixels (240 labels, two 15-epoch encoders, `--phase=experts`): the regression
// alone 76.0% -> 78.8%, the pair 78.9% -> 79.8% and 78.3% -> 80.2%. The student distilled from the pair has its layers,
// but its pixel layer starts at zero, so pixels' share is learnt from every image's soft targets instead of inherited
// from a regression fitted to the labels alone: students of 78.7% and 61.6% (inherited: 79.4% and 57.0%; the network
// without a pixel layer: 78.1% and 61.6%; the network distilled from itself alone: 77.0% and 52.9%).
// The fine-tune stage keeps the pair unless the network alone scores clearly better on held-out labels.
import { clearlyBetter } from "@fewlabel/api/serving-model";
import { foldStandardisation, pixelExpertRows, tf, type tfl, trainLinearProbe } from "@fewlabel/ml";

/**
 * The network's share of the summed logits; the pixels' is the rest. Offline (semi.ts, test accuracy of the pair at
 * weights 0.5 / 0.6 / 0.7): 300 labels, 15-epoch encoder (network 77.2%): 80.0 / 79.8 / 79.8; 300 labels, 60-epoch
 * encoder (network 80.5%): 80.3 / 80.8 / 81.5; 30 labels (network 51.5%): 57.9 / 57.8 / 57.0. At 0.6 the pair is never
 * below the network alone there, and the stronger the network, the more its logits decide.
 */
export const PIXEL_EXPERT_WEIGHT = 0.6;

/**
 * Whether the fine-tuned network keeps its pixel expert: yes unless the network alone scores better on the held-out
 * labels by more than their noise (the serving rule's tieMargin: one standard error of the difference, at least 2
 * points), and yes where nothing could be scored. A few dozen held-out labels carry an interval of +-10 points, and
 * the pair's gain, measured on 2,000 unseen images, is systematic: with a fixed 2-point margin a network that read
 * 3 more of 64 held-out labels replaced the pair in bench:loop and scored 73.2% on the unseen images, below pixel
 * logistic regression alone (75.0%).
 */
export function keepPixelExpert(network: HeldOutScore | null, pair: HeldOutScore | null): boolean {
  if (network === null) return true;
  if (pair === null) return false;
  return !clearlyBetter(network, pair);
}

/** An accuracy on held-out labels and how many there were. */
export interface HeldOutScore {
  accuracy: number;
  heldOut: number;
}

export interface PixelExpertWeights {
  /** [pixelExpertRows' width, classes] on the model's input in [0, 1]. */
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/**
 * Logistic regression on the pixels and edge energies of `images` (pixelExpertRows; L2 as sklearn's C = 1, full batch),
 * as one dense layer's weights.
 */
export async function trainPixelExpert(images: tf.Tensor4D, labels: number[], numClasses: number, seed: number): Promise<PixelExpertWeights> {
  const rows = pixelExpertRows(images);
  try {
    const probe = await trainLinearProbe({
      features: rows,
      labels,
      numClasses,
      steps: 300,
      batchSize: Math.min(rows.shape[0], 4096),
      learningRate: 0.01,
      weightDecay: 1 / Math.max(1, rows.shape[0]),
      seed,
    });
    try {
      return foldStandardisation(probe);
    } finally {
      probe.dispose();
    }
  } finally {
    rows.dispose();
  }
}

/** The pair's logits: w * the network's + (1 - w) * the pixel expert's. */
export function expertsLogits(network: tf.Tensor2D, x: tf.Tensor4D, expert: PixelExpertWeights, weight = PIXEL_EXPERT_WEIGHT): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(network, weight), tf.mul(tf.add(tf.matMul(pixelExpertRows(x), expert.kernel), expert.bias), 1 - weight)) as tf.Tensor2D);
}

/**
 * Adds the teacher's pixel expert (its `pixel_logits` layer: (1 - w) x the pixel regression) to a self-trained
 * student's own pixel layer, which learnt little from hard pseudo-labels: the student and the pixels then vote as the
 * teacher's pair did. Returns the student's layer weights before the change (to take it back), or null where either
 * model has no pixel layer. Offline (semi.ts `spair`, Fashion-MNIST, 300 labels, 2,000 unseen images), five
 * self-trained students on four label draws gained 1.5, 1.3, 1.5, 0.9 and 1.4 points (79.5% -> 81.0%, 81.3% -> 82.6%,
 * 81.3% -> 82.8%, 78.3% -> 79.2%, 79.8% -> 81.2%) with the pixels at 0.4 (the teacher's share); 0.2 gave less. A student distilled from the pair's soft labels (30 labels)
 * lost 2.4 points (62.3% -> 59.9%): its own pixel layer already learnt the pair's pixel share from the soft targets.
 */
export function addTeacherPixels(student: tfl.LayersModel, teacher: tfl.LayersModel): tf.Tensor[] | null {
  const s = student.layers.find((l) => l.name === "pixel_logits");
  const t = teacher.layers.find((l) => l.name === "pixel_logits");
  if (!s || !t) return null;
  const before = s.getWeights().map((w) => w.clone());
  const teacherWeights = t.getWeights();
  const sum = tf.tidy(() => s.getWeights().map((w, i) => tf.add(w, teacherWeights[i]!)));
  s.setWeights(sum);
  tf.dispose(sum);
  return before;
}

/** Sets a model's pixel expert layer (`pixel_logits`, where it has one) to zero: a student's starting point. */
export function zeroPixelExpert(model: tfl.LayersModel): boolean {
  const layer = model.layers.find((l) => l.name === "pixel_logits");
  if (!layer) return false;
  const zeros = layer.getWeights().map((w) => tf.zerosLike(w));
  layer.setWeights(zeros);
  tf.dispose(zeros);
  return true;
}

// A few-label head that needs no fine-tuning: a linear classifier on the frozen pretrained encoder's features (SimCLR's
// linear evaluation, and with few labels often as good as fine-tuning the whole network, at a fraction of the cost).
// It is trained on standardised features and then folded into one plain dense layer (kernel diag(1/std) W, bias
// b - (mean/std) W), so the teacher it makes is encoder -> dense, exported and served like any fine-tuned teacher.
import { clearlyBetter } from "@fewlabel/api/serving-model";
import { createClassifierHead, encoderFeatures, foldStandardisation, tensorImageSource, tf, type tfl, trainLinearProbe } from "@fewlabel/ml";
import type { HeldOutScore } from "./pixel-expert";

export interface LinearHeadOptions {
  encoder: tfl.LayersModel;
  images: tf.Tensor4D;
  labels: number[];
  numClasses: number;
  seed: number;
  /** Passes over the labelled features (full batch up to 4,096 rows). */
  steps?: number;
}

/** The classifier head (`cls_logits` on the encoder features) of a linear probe trained on frozen features. */
export async function trainLinearHead(o: LinearHeadOptions): Promise<tfl.LayersModel> {
  const features = await encoderFeatures(o.encoder, tensorImageSource(o.images));
  const [n, dim] = features.shape;
  try {
    const probe = await trainLinearProbe({
      features,
      labels: o.labels,
      numClasses: o.numClasses,
      steps: o.steps ?? 300,
      batchSize: Math.min(n, 4096),
      learningRate: 0.01,
      // L2 scaled by the row count (sklearn's C = 1): with a few hundred labels an unregularised probe overfits.
      weightDecay: 1 / Math.max(1, n),
      seed: o.seed,
    });
    const head = createClassifierHead({ inputDim: dim, numClasses: o.numClasses, hiddenDim: 0, seed: o.seed });
    const { kernel, bias } = foldStandardisation(probe);
    head.getLayer("cls_logits").setWeights([kernel, bias]);
    tf.dispose([kernel, bias]);
    probe.dispose();
    return head;
  } finally {
    features.dispose();
  }
}

/**
 * Whether the linear head replaces the fine-tuned network: only when it scores better on the held-out labels by more
 * than their noise (the serving rule's tieMargin: one standard error of the difference, at least 2 points), as the
 * pixel expert gives way (keepPixelExpert). 64 held-out labels carry some 7 points of noise: in bench:loop run 16
 * (Fashion-MNIST, 300 labels) a linear head read 82.8% of 64 held-out labels, was kept over the fine-tuned pair by the
 * plain comparison and served, and scored 74.0% on 2,000 unseen images, below pixel logistic regression (74.8%), where
 * the pair before it had 78.7%.
 */
export function preferLinearHead(linear: HeldOutScore | null, network: HeldOutScore | null): boolean {
  if (linear === null || network === null) return false;
  return clearlyBetter(linear, network);
}

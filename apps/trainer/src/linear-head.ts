// A few-label head that needs no fine-tuning: a linear classifier on the frozen pretrained encoder's features (SimCLR's
// linear evaluation, and with few labels often as good as fine-tuning the whole network, at a fraction of the cost).
// It is trained on standardised features and then folded into one plain dense layer (kernel diag(1/std) W, bias
// b - (mean/std) W), so the teacher it makes is encoder -> dense, exported and served like any fine-tuned teacher.
import { createClassifierHead, encoderFeatures, foldStandardisation, tensorImageSource, tf, type tfl, trainLinearProbe } from "@fewlabel/ml";

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

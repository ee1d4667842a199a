// The trainable variables of layers models, as optimizers and gradient code take them.
import type { tf, tfl } from "../tf.js";

/** Every trainable variable of the models, in order. */
export function variablesOf(...models: tfl.LayersModel[]): tf.Variable[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
}

// What a classifier is to the stages: logits from images, and the variables a step trains (SimCLR v2's teacher is an
// encoder and a classifier head; a student or a plain network is one model).
import type { tf, tfl } from "../tf.js";
import { variablesOf } from "../models/variables.js";

/** Something that maps images to class logits and can be trained. */
export interface Classifier {
  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  readonly trainableVariables: tf.Variable[];
  /**
   * The models it is made of, where a trainer may replicate them (data-parallel training): encoder -> head, or one
   * model alone (no head).
   */
  readonly models?: { encoder: tfl.LayersModel; head?: tfl.LayersModel };
}

/** The SimCLR v2 teacher: encoder -> classifier head (which starts from the projection head's first layer). */
export function encoderClassifier(encoder: tfl.LayersModel, head: tfl.LayersModel, options: { freezeEncoder?: boolean } = {}): Classifier {
  return {
    logits: (x, training) => head.apply(encoder.apply(x, { training: training && !options.freezeEncoder }) as tf.Tensor, { training }) as tf.Tensor2D,
    trainableVariables: options.freezeEncoder ? variablesOf(head) : variablesOf(encoder, head),
    models: options.freezeEncoder ? undefined : { encoder, head },
  };
}

export function modelClassifier(model: tfl.LayersModel): Classifier {
  return { logits: (x, training) => model.apply(x, { training }) as tf.Tensor2D, trainableVariables: variablesOf(model), models: { encoder: model } };
}

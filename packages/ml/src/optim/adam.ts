// Adam whose per-variable update runs as one kernel where a backend registers it (ADAM_UPDATE; fewlabel's webgpu
// kernels do). tfjs's AdamOptimizer spends 14 kernels a variable on it (multiplies, adds, divides, a square and a root),
// and on webgpu every kernel is a dispatch: for the reference ResNet-18 about 900 dispatches a step, a fifth of the
// step on Mesa's software adapter. Elsewhere, and for everything but the update (slots, checkpoints, the learning
// rate), it is tfjs's AdamOptimizer unchanged, so the two give the same weights.
import { tf } from "../tf.js";

/** Kernel: inputs x, m, v, g; attrs beta1, beta2, epsilon, learningRate, and the bias corrections c1 = 1 - beta1^t and
 * c2 = 1 - beta2^t; outputs x', m', v' of one Adam step. */
export const ADAM_UPDATE = "FewlabelAdamUpdate";

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  c1: number;
  c2: number;
}

type Slot = { originalName: string; variable: tf.Variable };
type NamedTensor = { name: string; tensor: tf.Tensor };

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Record<string, tf.Variable> | NamedTensor[]): void {
    if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    // tfjs keeps the slots and the running powers of beta private; the update below keeps them as it does.
    const self = this as unknown as { accumulatedFirstMoment: Slot[]; accumulatedSecondMoment: Slot[]; accBeta1: tf.Variable; accBeta2: tf.Variable };
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // accBeta = beta^(iterations + 1), as tfjs sets it after restoring weights; known here without reading the GPU.
    const t = this.iterations + 1;
    const attrs: AdamUpdateAttrs = {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      learningRate: this.learningRate,
      c1: 1 - this.beta1 ** t,
      c2: 1 - this.beta2 ** t,
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const [x2, m2, v2] = tf.engine().runKernel(ADAM_UPDATE, { x: value, m, v, g: gradient }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(m2!);
        v.assign(v2!);
        value.assign(x2!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

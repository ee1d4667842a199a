// LARS (You et al. 2017), the large-batch optimizer of SimCLR: SGD with momentum where each weight matrix's
// step is scaled by a trust ratio eta * ||w|| / ||g + wd * w||. Biases and batch-norm parameters (rank-1
// variables) get neither weight decay nor the trust ratio, as in the SimCLR reference code.
import { tf } from "../tf.js";
import { FusedAdamOptimizer } from "./adam.js";

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface LarsConfig {
  learningRate: number;
  momentum?: number;
  weightDecay?: number;
  eta?: number;
}

export class LarsOptimizer extends tf.Optimizer {
  static get className(): string {
    return "LARS";
  }
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly eta: number;
  private velocities: { originalName: string; variable: tf.Variable }[] = [];

  constructor(c: LarsConfig) {
    super();
    this.learningRate = c.learningRate;
    this.momentum = c.momentum ?? 0.9;
    this.weightDecay = c.weightDecay ?? 1e-6;
    this.eta = c.eta ?? 0.001;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        this.velocities[i] ??= { originalName: `${name}/velocity`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const g = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (!g) return;
        let update: tf.Tensor = g;
        if (value.rank > 1) {
          update = tf.add(g, tf.mul(value, this.weightDecay));
          const wNorm = tf.norm(value),
            uNorm = tf.norm(update);
          const trust = tf.where(tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(uNorm, 0)), tf.div(tf.mul(wNorm, this.eta), uNorm), tf.onesLike(wNorm));
          update = tf.mul(update, trust);
        }
        const v = this.velocities[i]!.variable;
        const nv = tf.add(tf.mul(v, this.momentum), update);
        v.assign(nv);
        value.assign(tf.sub(value, tf.mul(nv, this.learningRate)));
      });
    });
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...this.velocities.map((v) => ({ name: v.originalName, tensor: v.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    tf.dispose(this.velocities.map((v) => v.variable));
    this.velocities = rest.map((v) => ({ originalName: v.name, variable: v.tensor.variable(false) }));
  }

  override dispose(): void {
    tf.dispose(this.velocities.map((v) => v.variable));
    this.velocities = [];
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay, eta: this.eta };
  }
}

/** Linear warm-up to `base`, then cosine decay to zero (SimCLR's schedule). `step` is 0-based. */
export function warmupCosine(step: number, totalSteps: number, base: number, warmupSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  const t = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return base * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

export type OptimizerName = "lars" | "adam" | "momentum";

/** An optimizer whose learning rate the training loops can change every step. */
export function createOptimizer(name: OptimizerName, learningRate: number, weightDecay?: number): tf.Optimizer & { learningRate: number } {
  switch (name) {
    case "lars":
      return new LarsOptimizer({ learningRate, weightDecay });
    case "adam":
      return new FusedAdamOptimizer(learningRate, 0.9, 0.999) as unknown as tf.Optimizer & { learningRate: number };
    case "momentum":
      return tf.train.momentum(learningRate, 0.9, true) as unknown as tf.Optimizer & { learningRate: number };
  }
}

/** Sets an optimizer's learning rate for the next step (tf's SGD family caches it as a scalar). */
export function setLearningRate(opt: tf.Optimizer & { learningRate: number }, lr: number): void {
  const withSetter = opt as unknown as { setLearningRate?: (lr: number) => void };
  if (typeof withSetter.setLearningRate === "function") withSetter.setLearningRate(lr);
  opt.learningRate = lr;
}

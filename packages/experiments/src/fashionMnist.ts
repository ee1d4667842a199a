// Fashion-MNIST (Debian's dataset-fashion-mnist, original IDX files) as experiment data: the first N training and
// test images as [n, 28, 28, 1] tensors in [0, 1].
import { loadFashionMnist } from "@fewlabel/datasets";
import type { ExperimentConfig } from "./config";
import { pixelsToTensor, type ExperimentData } from "./protocol";

export function fashionMnistData(config: Pick<ExperimentConfig, "trainImages" | "testImages">, dir?: string): ExperimentData {
  const train = loadFashionMnist("train", { limit: config.trainImages, dir });
  const test = loadFashionMnist("test", { limit: config.testImages, dir });
  return {
    classes: [...train.classes],
    train: { images: pixelsToTensor(train.pixels, train.count, 28, 1), labels: Int32Array.from(train.labels) },
    test: { images: pixelsToTensor(test.pixels, test.count, 28, 1), labels: Int32Array.from(test.labels) },
  };
}

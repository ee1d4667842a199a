// Scoring: top-1 accuracy of a classifier on labelled images, in inference mode (batch norm uses its moving
// statistics), batch by batch so a large test set never sits in memory as one activation tensor.
import { pseudoLabel, type Classifier, type ImageSource } from "@fewlabel/ml";

export async function testAccuracy(classifier: Classifier, images: ImageSource, labels: ArrayLike<number>, batchSize = 500): Promise<number> {
  if (labels.length !== images.count || images.count === 0) throw new Error("testAccuracy: need one label per image (and at least one image)");
  const predicted = await pseudoLabel({ classifier, images, batchSize });
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted.labels[i] === labels[i]) correct++;
  return correct / labels.length;
}

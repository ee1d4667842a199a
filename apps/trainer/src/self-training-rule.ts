// Which stage 3 a teacher gets: self-training on its confident pseudo-labels, or distillation of its soft labels on
// every image (SimCLR v2's). Self-training won where labels are many enough for the teacher to be sure of much:
// Fashion-MNIST with 30 labels a class, offline +0.7-0.8 points and in bench:loop students 0.0-1.4 points above
// their teachers. With 3 a class it lost: offline 60.4% against soft labels' 61.6%, and in bench:loop (run 13) a
// student 2.4 points below its teacher and below pixel logistic regression, where soft-label students gained 2-4
// points over theirs (runs 5 and 8). Few labels leave few images above the threshold, and a student that trains on
// the same few dozen surest ones learns less than from every image's soft labels.

/** Self-training from this many training labels per class (on average over the teacher's classes). */
export const SELF_TRAINING_MIN_LABELS_PER_CLASS = 10;

export function selfTrainingApplies(o: { threshold: number; trainLabels: number; classes: number; minLabelsPerClass: number }): boolean {
  return o.threshold > 0 && o.classes > 0 && o.trainLabels / o.classes >= o.minLabelsPerClass;
}

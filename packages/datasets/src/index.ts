// @fewlabel/datasets: public datasets read from local files (Debian packages), for benchmarks, experiments and the
// demo project.
export { parseIdx, readIdxFile, type IdxArray } from "./idx";
export { FASHION_MNIST_DIR, fashionMnistAvailable, FASHION_MNIST_CLASSES, imageAt, loadFashionMnist, type FashionMnistSplit, type GrayImageSet } from "./fashion-mnist";
export { DIGIT_CLASSES, renderDigits } from "./rendered-digits";

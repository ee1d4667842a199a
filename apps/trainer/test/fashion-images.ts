// Fashion-MNIST images from Debian's dataset-fashion-mnist package as PNG files, for uploading to a test server.
import { fashionMnistAvailable, FASHION_MNIST_DIR, imageAt, loadFashionMnist } from "@fewlabel/datasets";
import sharp from "sharp";

export { fashionMnistAvailable, FASHION_MNIST_DIR };

export interface FashionPng {
  path: string;
  data: Buffer;
  label: number;
}

/** The first `perClass` training images of each of `classes`, as 28x28 grayscale PNGs, interleaved by class. */
export async function fashionPngs(classes: number[], perClass: number, offset = 0): Promise<FashionPng[]> {
  const set = loadFashionMnist("train", { limit: 6000 });
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (let i = 0; i < set.count; i++) {
    const list = byClass.get(set.labels[i]!);
    if (list && list.length < offset + perClass) list.push(i);
  }
  const out: FashionPng[] = [];
  for (let k = offset; k < offset + perClass; k++) {
    for (const c of classes) {
      const i = byClass.get(c)![k];
      if (i === undefined) continue;
      const data = await sharp(Buffer.from(imageAt(set, i)), { raw: { width: 28, height: 28, channels: 1 } })
        .toColourspace("b-w")
        .png()
        .toBuffer();
      out.push({ path: `fmnist-${i}.png`, data, label: c });
    }
  }
  return out;
}

// Colour "photos" for tests of real-photo projects: Fashion-MNIST items, tinted, scaled and composited near the
// centre of a colour background with a gradient and noise, at 256-640 px with random aspect ratios, as JPEGs. What a
// class looks like does not depend on the background or the frame's shape, so a model must find the item.
import { imageAt, loadFashionMnist } from "@fewlabel/datasets";
import { mulberry32 } from "@fewlabel/ml";
import sharp from "sharp";

export interface Photo {
  name: string;
  data: Buffer;
  label: number;
  width: number;
  height: number;
}

/** `perClass` photos of each of `classes` (Fashion-MNIST training images from `offset` on), interleaved by class. */
export async function fashionPhotos(classes: number[], perClass: number, offset = 0, seed = 1): Promise<Photo[]> {
  const set = loadFashionMnist("train", { limit: 6000 });
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (let i = 0; i < set.count; i++) {
    const list = byClass.get(set.labels[i]!);
    if (list && list.length < offset + perClass) list.push(i);
  }
  const r = mulberry32(seed + offset * 7919);
  const between = (lo: number, hi: number) => lo + (hi - lo) * r();
  const out: Photo[] = [];
  for (let k = offset; k < offset + perClass; k++) {
    for (const c of classes) {
      const i = byClass.get(c)![k];
      if (i === undefined) continue;
      const aspect = Math.exp(between(Math.log(0.6), Math.log(1.8)));
      const long = Math.round(between(256, 640));
      const width = aspect >= 1 ? long : Math.round(long * aspect);
      const height = aspect >= 1 ? Math.round(long / aspect) : long;
      // The item: its gray levels as the alpha of a bright tint, scaled to 40-60% of the shorter side.
      const tint = [between(150, 255), between(150, 255), between(150, 255)].map(Math.round);
      const gray = imageAt(set, i);
      const rgba = Buffer.alloc(28 * 28 * 4);
      for (let p = 0; p < 28 * 28; p++) rgba.set([tint[0]!, tint[1]!, tint[2]!, gray[p]!], p * 4);
      const side = Math.round(Math.min(width, height) * between(0.4, 0.6));
      const item = await sharp(rgba, { raw: { width: 28, height: 28, channels: 4 } })
        .resize(side, side)
        .png()
        .toBuffer();
      const left = Math.round((width - side) / 2 + between(-0.1, 0.1) * (width - side));
      const top = Math.round((height - side) / 2 + between(-0.1, 0.1) * (height - side));
      // A dark background: a colour, a horizontal gradient and noise.
      const base = [between(0, 90), between(0, 90), between(0, 90)];
      const bg = Buffer.alloc(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const g = (x / width) * 40;
          for (let ch = 0; ch < 3; ch++) bg[(y * width + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(base[ch]! + g + between(-12, 12))));
        }
      }
      const data = await sharp(bg, { raw: { width, height, channels: 3 } })
        .composite([{ input: item, left, top }])
        .jpeg({ quality: 85 })
        .toBuffer();
      out.push({ name: `photo-${i}.jpg`, data, label: c, width, height });
    }
  }
  return out;
}

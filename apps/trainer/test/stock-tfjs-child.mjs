// Run by preprocess-parity.test.ts in a fresh plain Node process (no tsx, nothing of fewlabel's code): what someone
// who downloaded an exported model does with stock TensorFlow.js. It serves the model's folder over HTTP and loads
// model.json with tf.loadLayersModel (as a browser would), imports the shipped preprocess.js, decodes each PNG to
// RGBA pixels the way a browser's ImageData holds them (a small PNG decoder below, independent of the trainer's
// sharp), and prints, as JSON, per image: the preprocessed input (base64 float32), the softmax probabilities, and the
// probabilities with tf.image.resizeBilinear instead (what the demo did before: the test checks that it differs).
//   node stock-tfjs-child.mjs <modelDir> <png>...
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs";

const [modelDir, ...pngs] = process.argv.slice(2);

/** A non-interlaced 8-bit PNG (gray, gray + alpha, RGB, RGBA) -> { data: RGBA Uint8ClampedArray, width, height }. */
function decodePng(bytes) {
  if (bytes.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let at = 8,
    width = 0,
    height = 0,
    depth = 0,
    type = 0,
    interlace = 0;
  const idat = [];
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const name = bytes.toString("latin1", at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (name === "IHDR") [width, height, depth, type, interlace] = [body.readUInt32BE(0), body.readUInt32BE(4), body[8], body[9], body[12]];
    else if (name === "IDAT") idat.push(body);
    else if (name === "IEND") break;
    at += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  if (depth !== 8 || !channels || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${type}, interlace ${interlace}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c,
        pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + x] = (line[x] + predictor) & 255;
    }
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    const gray = channels <= 2;
    data[4 * i] = pixels[s];
    data[4 * i + 1] = pixels[gray ? s : s + 1];
    data[4 * i + 2] = pixels[gray ? s : s + 2];
    data[4 * i + 3] = channels === 2 || channels === 4 ? pixels[s + channels - 1] : 255;
  }
  return { data, width, height };
}

const server = createServer(async (req, res) => {
  try {
    res.end(await readFile(join(modelDir, new URL(req.url, "http://x").pathname.replace(/^\/+/, "").replace(/\.\./g, ""))));
  } catch {
    res.statusCode = 404;
    res.end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
await tf.setBackend("cpu");
const model = await tf.loadLayersModel(`http://127.0.0.1:${server.address().port}/model.json`);
const { preprocess, shape, preprocessing } = await import(pathToFileURL(join(modelDir, "preprocess.js")).href);

const out = [];
for (const file of pngs) {
  const image = decodePng(await readFile(file));
  const input = preprocess(image);
  const probabilities = tf.tidy(() => Array.from(tf.softmax(model.predict(tf.tensor4d(input, shape))).dataSync()));
  // The old way: tf.image.resizeBilinear on the RGB pixels, luma weights after it, / 255.
  const bilinear = tf.tidy(() => {
    const rgb = tf.tensor3d(image.data, [image.height, image.width, 4], "int32").slice([0, 0, 0], [-1, -1, 3]).toFloat();
    const resized = tf.image.resizeBilinear(rgb, [preprocessing.height, preprocessing.width]);
    const pixels = preprocessing.channels === 1 ? tf.sum(tf.mul(resized, tf.tensor1d([0.299, 0.587, 0.114])), -1, true) : resized;
    return Array.from(tf.softmax(model.predict(tf.div(pixels, 255).expandDims(0))).dataSync());
  });
  out.push({ file, input: Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("base64"), probabilities, bilinear });
}
server.close();
process.stdout.write(JSON.stringify(out));

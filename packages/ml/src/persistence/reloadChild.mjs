// Run by persistence.test.ts in a fresh Node process: loads exported models with STOCK TensorFlow.js
// (tf.loadLayersModel over HTTP, as a browser would) and prints their logits for the given inputs as JSON.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";

const [baseUrl, inputsJson] = process.argv.slice(2);
const inputs = JSON.parse(inputsJson);
await tf.setBackend("cpu");
const out = {};
for (const name of ["teacher", "student"]) {
  const model = await tfl.loadLayersModel(`${baseUrl}/${name}/model.json`);
  const meta = await (await fetch(`${baseUrl}/${name}/metadata.json`)).json();
  const x = tf.tensor4d(inputs.data, [inputs.n, meta.inputSize, meta.inputSize, meta.channels]);
  out[name] = Array.from(model.predict(x).dataSync());
}
process.stdout.write(JSON.stringify(out));

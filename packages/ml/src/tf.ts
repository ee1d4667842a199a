// The one place the package imports TensorFlow.js from, so every module (and every backend the
// selector registers) shares a single tfjs-core instance: two copies would keep two kernel registries.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";

export { tf, tfl };

/**
 * Small CNN for CPU-scale runs on Fashion-MNIST: exactly the `fmnist-cnn` network of the
 * training-throughput benchmark (`bench/workloads.ts`). Outputs logits.
 */
import * as tf from "@tensorflow/tfjs";
import { checkInt, checkKeys, conv2d, ImageModelConfig, Init, relu, torchLinear } from "./common";

/** Config of the Fashion-MNIST CNN. */
export interface FmnistCnnConfig extends ImageModelConfig {
  /** Default 10. */
  numClasses?: number;
}

/**
 * 28x28x1 → conv3x3(32, valid) + ReLU → max-pool 2 → conv3x3(64, valid) + ReLU → max-pool 2
 * → flatten (5·5·64 = 1600) → dense 128 + ReLU → dense numClasses (logits). Convs have
 * biases; PyTorch default initialisation, like the benchmark's `nn.Sequential`.
 * Parameters (10 classes): 225,034.
 */
export function fmnistCnn(config: FmnistCnnConfig = {}): tf.LayersModel {
  checkKeys("fmnist-cnn", config, ["numClasses", "seed"]);
  const numClasses = config.numClasses ?? 10;
  checkInt("numClasses", numClasses, 1, 100000);
  const init = new Init(config.seed ?? 0);
  const input = tf.input({ shape: [28, 28, 1], name: "image" });
  let x = conv2d(input, 1, { filters: 32, kernel: 3, bias: true, init: "torch-default", name: "conv1" }, init);
  x = relu(x, "relu1");
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "pool1" }).apply(x) as tf.SymbolicTensor;
  x = conv2d(x, 32, { filters: 64, kernel: 3, bias: true, init: "torch-default", name: "conv2" }, init);
  x = relu(x, "relu2");
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "pool2" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  x = relu(torchLinear(x, 1600, 128, "fc1", init), "relu3");
  const logits = torchLinear(x, 128, numClasses, "fc2", init);
  return tf.model({ inputs: input, outputs: logits, name: "fmnist_cnn" });
}

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createOptimizer, applyStepDecay } from "./index";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("AdaBound", () => {
  test("two steps worked by hand, both clipped at the lower bound", () => {
    // lr = 0.01, finalLr = 0.1, γ = 0.1, β2 = 0.99, x0 = 1; gradients 40 then 0.
    // Bounds: t = 1: lo = 0.1·(1 − 1/1.1) = 0.0090909, hi = 0.1·(1 + 1/0.1) = 1.1
    //         t = 2: lo = 0.1·(1 − 1/1.2) = 0.0166667, hi = 0.1·(1 + 1/0.2) = 0.6
    // Step 1: m = 4, v = 16;  η = 0.01·sqrt(0.01)/0.1 / (4 + ε) = 0.0025 → clipped to 0.0090909
    //         x1 = 1 − 0.0090909·4 = 0.963636
    // Step 2: m = 3.6, v = 15.84;  η = 0.01·sqrt(0.0199)/0.19 / 3.979950 = 0.0018655 → clipped to 0.0166667
    //         x2 = 0.963636 − 0.0166667·3.6 = 0.903636
    const x1 = 1 - 0.1 * (1 - 1 / 1.1) * 4;
    const x2 = x1 - 0.1 * (1 - 1 / 1.2) * 3.6;
    const got = runSteps("adabound", { learningRate: 0.01, finalLr: 0.1, gamma: 0.1, beta2: 0.99 }, [1], [[40], [0]]);
    expectClose(got[0], [x1], 0, 1e-6);
    expectClose(got[1], [x2], 0, 1e-6);
    expectClose(got[1], [0.903636], 0, 1e-6);
  });

  test("inside the bounds it is Adam in the ε-hat form", () => {
    // Step 1 with g = 4: η = 0.01·0.1/0.1/0.4 = 0.025 lies in [0.0090909, 1.1] → x1 = 1 − 0.025·0.4 = 0.99
    const got = runSteps("adabound", { learningRate: 0.01, finalLr: 0.1, gamma: 0.1, beta2: 0.99 }, [1], [[4]]);
    expectClose(got[0], [0.99], 0, 1e-6);
  });

  test("a learning-rate schedule scales the bounds (finalLr·lr/lr₀)", () => {
    // Decay lr 0.01 → 0.001 before the first step: fl = 0.1·0.001/0.01 = 0.01, so lo(t = 1) = 0.01·(1 − 1/1.1)
    // = 0.00090909; η = 0.001·0.1/0.1/4 = 0.00025 → clipped to 0.00090909 → x1 = 1 − 0.00090909·4 = 0.996364
    const opt = createOptimizer("adabound", { learningRate: 0.01, finalLr: 0.1, gamma: 0.1, beta2: 0.99 });
    const x = tf.variable(tf.tensor1d([1]));
    assert.equal(applyStepDecay(opt, { milestones: [1], gamma: 0.1 }, 1), 0.001);
    tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d([40]) }));
    expectClose(x.dataSync(), [1 - 0.01 * (1 - 1 / 1.1) * 4], 0, 1e-6);
    expectClose(x.dataSync(), [0.996364], 0, 1e-6);
    x.dispose();
    opt.dispose();
  });
});

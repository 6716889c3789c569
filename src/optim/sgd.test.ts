import { describe, test } from "node:test";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("SGD", () => {
  test("two steps worked by hand: momentum, dampening (not on step 1), L2 decay", () => {
    // lr = 0.1, μ = 0.9, τ = 0.5, λ = 0.1, x0 = 1; gradients 2 then 1.
    // Step 1: d = 2 + 0.1·1 = 2.1;  b = d = 2.1 (first step: no dampening);  x1 = 1 − 0.21 = 0.79
    // Step 2: d = 1 + 0.1·0.79 = 1.079;  b = 0.9·2.1 + 0.5·1.079 = 2.4295;  x2 = 0.79 − 0.24295 = 0.54705
    const got = runSteps(
      "sgd",
      { learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1 },
      [1],
      [[2], [1]],
    );
    expectClose(got[0], [0.79], 0, 1e-6);
    expectClose(got[1], [0.54705], 0, 1e-6);
  });

  test("two steps worked by hand: Nesterov", () => {
    // lr = 0.1, μ = 0.9, x0 = 1; gradients 2 then 1.
    // Step 1: b = 2;  d = 2 + 0.9·2 = 3.8;  x1 = 1 − 0.38 = 0.62
    // Step 2: b = 0.9·2 + 1 = 2.8;  d = 1 + 0.9·2.8 = 3.52;  x2 = 0.62 − 0.352 = 0.268
    const got = runSteps("sgd", { learningRate: 0.1, momentum: 0.9, nesterov: true }, [1], [[2], [1]]);
    expectClose(got[0], [0.62], 0, 1e-6);
    expectClose(got[1], [0.268], 0, 1e-6);
  });

  test("plain SGD: x −= lr·g", () => {
    const got = runSteps(
      "sgd",
      { learningRate: 0.5 },
      [1, 2],
      [
        [1, -2],
        [0.5, 0.5],
      ],
    );
    expectClose(got[1], [1 - 0.5 - 0.25, 2 + 1 - 0.25], 0, 1e-6);
  });
});

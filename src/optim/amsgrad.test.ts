import { describe, test } from "node:test";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("AMSGrad", () => {
  test("two steps worked by hand (max on the raw v)", () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.99, ε = 1e-8, x0 = 1; gradients 4 then 0.
    // Step 1 as Adam: x1 = 0.9
    // Step 2: m = 0.36, v = 0.1584, v̂ = max(0.16, 0.1584) = 0.16, bc1 = 0.19, bc2 = 0.0199
    //         denom = 0.4/sqrt(0.0199) = 2.835524;  x2 = 0.9 − (0.1/0.19)·0.36/2.835524 = 0.833178
    const x2 = 0.9 - (0.1 / 0.19) * (0.36 / (0.4 / Math.sqrt(0.0199)));
    const got = runSteps("amsgrad", { learningRate: 0.1, beta2: 0.99 }, [1], [[4], [0]]);
    expectClose(got[0], [0.9], 0, 1e-6);
    expectClose(got[1], [x2], 0, 1e-6);
    expectClose(got[1], [0.833178], 0, 1e-6);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("Padam", () => {
  test("two steps worked by hand (p = 1/4, amsgrad keeps the larger v)", () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.99, ε = 1e-8, p = 1/4, x0 = 1; gradients 4 then 0.
    // Step 1: m = 0.1·4 = 0.4;  v = 0.01·16 = 0.16;  v̂ = 0.16;  sqrt(v̂) = 0.4
    //         bc1 = 0.1, bc2 = 0.01 → lr·sqrt(bc2)/bc1 = 0.1·0.1/0.1 = 0.1
    //         x1 = 1 − 0.1 · 0.4 / (0.4 + ε)^(1/2) = 1 − 0.04/0.632456 = 0.936754
    // Step 2: m = 0.9·0.4 = 0.36;  v = 0.99·0.16 = 0.1584;  v̂ = max(0.16, 0.1584) = 0.16
    //         bc1 = 0.19, bc2 = 0.0199 → 0.1·sqrt(0.0199)/0.19 = 0.0742458
    //         x2 = x1 − 0.0742458 · 0.36 / 0.632456 = 0.936754 − 0.0422617 = 0.894493
    const x1 = 1 - (0.1 * 0.4) / Math.sqrt(0.4);
    const x2 = x1 - ((0.1 * Math.sqrt(0.0199)) / 0.19) * (0.36 / Math.sqrt(0.4));
    const got = runSteps("padam", { learningRate: 0.1, beta2: 0.99, partial: 0.25 }, [1], [[4], [0]]);
    expectClose(got[0], [x1], 0, 1e-6);
    expectClose(got[1], [x2], 0, 1e-6);
    assert.ok(Math.abs(got[1][0] - 0.894493) < 1e-6);
  });

  test("p = 1/2 is AMSGrad in the ε-hat form of the 2018 code, not torch 1.13 AMSGrad: one step by hand", () => {
    // lr = 0.01, β1 = 0.9, β2 = 0.999, ε = 1e-8, x0 = 0; gradient (3e-8, 4): the first one tiny, so
    // that sqrt(v̂) is comparable to ε, where the two forms differ.
    // m = 0.1·g = (3e-9, 0.4);  sqrt(v̂) = sqrt(0.001)·|g| = (9.486833e-10, 0.1264911);  bc1 = 0.1, bc2 = 0.001
    // ε-hat (Padam p = 1/2): lr·sqrt(bc2)/bc1 · m/(sqrt(v̂) + ε) = 0.00316228·(3e-9/1.0948683e-8, 0.4/0.1264911)
    //                        = 0.00316228·(0.2740044, 3.1622774) = (8.664816e-4, 0.0100000)
    // torch AMSGrad:         lr/bc1 · m/(sqrt(v̂)/sqrt(bc2) + ε) = 0.1·(3e-9/(3e-8 + 1e-8), 0.4/(4 + 1e-8)) = (7.5e-3, 0.0100000)
    const padam = runSteps("padam", { learningRate: 0.01, partial: 0.5 }, [0, 0], [[3e-8, 4]]);
    const torch = runSteps("amsgrad", { learningRate: 0.01 }, [0, 0], [[3e-8, 4]]);
    expectClose(padam[0], [-8.664816e-4, -0.01], 1e-5, 0);
    expectClose(torch[0], [-7.5e-3, -0.01], 1e-5, 0);
  });

  test("p = 0 is EMA-momentum SGD with the sqrt(bc2)/bc1 factor: two steps by hand", () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.999, x0 = (0.3, 1); gradients (1, 100) then (0.5, 50).
    // (sqrt(v̂) + ε)^0 = 1, so the step is lr·sqrt(bc2)/bc1·m, whatever the scale of g.
    // Step 1: m = (0.1, 10);  factor 0.1·sqrt(0.001)/0.1 = 0.0316228;  x1 = (0.3 − 0.0031623, 1 − 0.3162278) = (0.2968377, 0.6837722)
    // Step 2: m = 0.9·m + 0.1·g = (0.14, 14);  factor 0.1·sqrt(0.001999)/0.19 = 0.1·0.0447102/0.19 = 0.0235317
    //         x2 = (0.2968377 − 0.0032944, 0.6837722 − 0.3294434) = (0.2935433, 0.3543288)
    const got = runSteps(
      "padam",
      { learningRate: 0.1, partial: 0 },
      [0.3, 1],
      [
        [1, 100],
        [0.5, 50],
      ],
    );
    expectClose(got[0], [0.2968377, 0.6837722], 1e-6, 1e-7);
    expectClose(got[1], [0.2935433, 0.3543288], 1e-6, 1e-7);
  });

  test("a coordinate whose gradient is always zero never moves", () => {
    const got = runSteps(
      "padam",
      { partial: 0.125 },
      [0.25, 1],
      [
        [0, 1],
        [0, -1],
        [0, 2],
      ],
    );
    assert.equal(got[2][0], 0.25);
    assert.notEqual(got[2][1], 1);
  });

  test('biasCorrection "consistent" uses lr·bc2^p/bc1', () => {
    // One step, p = 1/8, β2 = 0.999, g = 1: m = 0.1, v̂ = 0.001, D = (sqrt(0.001) + ε)^(1/4)
    // official: x1 = 1 − 0.1·sqrt(0.001)/0.1 · 0.1/D;  consistent: x1 = 1 − 0.1·0.001^(1/8)/0.1 · 0.1/D
    const D = Math.pow(Math.sqrt(0.001) + 1e-8, 0.25);
    const official = runSteps("padam", { partial: 0.125 }, [1], [[1]])[0][0];
    const consistent = runSteps("padam", { partial: 0.125, biasCorrection: "consistent" }, [1], [[1]])[0][0];
    expectClose([official], [1 - Math.sqrt(0.001) * (0.1 / D)], 1e-6, 0);
    expectClose([consistent], [1 - Math.pow(0.001, 0.125) * (0.1 / D)], 1e-6, 0);
  });
});

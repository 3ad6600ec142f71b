"""SGD vs momentum vs Adam on f(x, y) = x**2 + y**2 from (3, 2).

Seed: "Gradient Descent Variants" (learning rate 0.1, 50 steps). The seed's
momentum (v = 0.9 v + lr g) equals PyTorch's SGD with momentum=0.9 at a
constant learning rate; its Adam has the moment names swapped but the same math.
"""

import _common

import calckit as ck

f = "x**2 + y**2"
settings = {
    "sgd": {"optimizer": "sgd", "lr": 0.1},
    "momentum": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9},
    "adam": {"optimizer": "adam", "lr": 0.1},
}
results = {name: ck.minimize(f, wrt="x y", x0=[3.0, 2.0], steps=50, **kw)
           for name, kw in settings.items()}

print("optimizer | x after 50 steps | y after 50 steps | f")
print("-" * 60)
for name, r in results.items():
    print(f"{name:9} | {r.x[0]:16.3e} | {r.x[1]:16.3e} | {r.fun:.3e}")

# The exact gradient every optimizer used, checked along the Adam path.
report = ck.gradcheck(f, wrt="x y", at=results["adam"].path[::10])
print(f"gradcheck along the Adam path ok: {report.ok}")

paths = {name: r.path for name, r in results.items()}
_common.save(ck.plot.trajectories(f, paths, wrt="x y", xlim=(-3, 3.5),
                                  ylim=(-3, 3)),
             "13_trajectories.png")
_common.save(ck.plot.loss_curves({n: r.losses for n, r in results.items()},
                                 log=True),
             "13_losses.png")

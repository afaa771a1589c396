"""PyTorch on the same card, same operations as GpuBench: full-batch cross_entropy + lam/2 ||W||^2 forward+backward
(float32, C=10) on 60000x784, 50000x3072, 1000000x784 synthetic; one SGD epoch, batch 256, momentum 0.9, plain loop.
Prints TSV lines "pytorch<TAB>name<TAB>value<TAB>unit<TAB>note"."""
import sys, time
import torch

quick = "--quick" in sys.argv
dev = torch.device("cuda")
LAM = 1e-4


def emit(name, value, unit, note=""):
    print(f"pytorch\t{name}\t{value:.6g}\t{unit}\t{note}", flush=True)


emit("version", 0, "", f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}")
shapes = [(2000, 784), (1000, 3072)] if quick else [(60000, 784), (50000, 3072), (1000000, 784)]
for n, d in shapes:
    g = torch.Generator(device=dev).manual_seed(n + d)
    X = torch.rand(n, d, device=dev, generator=g)
    y = torch.randint(0, 10, (n,), device=dev, generator=g)
    W = ((torch.rand(10, d, device=dev, generator=g) - 0.5) * 0.02).requires_grad_()
    b = torch.zeros(10, device=dev, requires_grad=True)

    def step():
        W.grad = None
        b.grad = None
        loss = torch.nn.functional.cross_entropy(X @ W.T + b, y) + 0.5 * LAM * (W * W).sum()
        loss.backward()
        return loss

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    reps = 3 if quick else 100
    t0 = time.perf_counter()
    for _ in range(reps):
        step()
    torch.cuda.synchronize()
    emit(f"fullbatch_{n}x{d}", (time.perf_counter() - t0) / reps * 1e3, "ms", "cross_entropy + backward")
    del X, W, b, y
    torch.cuda.empty_cache()

n, d = (3000 if quick else 60000), 784
X = torch.rand(n, d, device=dev)
y = torch.randint(0, 10, (n,), device=dev)
model = torch.nn.Linear(d, 10).to(dev)
opt = torch.optim.SGD([{"params": [model.weight], "weight_decay": LAM}, {"params": [model.bias], "weight_decay": 0.0}], lr=0.1, momentum=0.9)
lf = torch.nn.CrossEntropyLoss()


def epoch():
    perm = torch.randperm(n, device=dev)
    for s in range(0, n, 256):
        idx = perm[s:s + 256]
        opt.zero_grad(set_to_none=True)
        lf(model(X[idx]), y[idx]).backward()
        opt.step()


epoch()
torch.cuda.synchronize()
times = []
for _ in range(5):
    t0 = time.perf_counter()
    epoch()
    torch.cuda.synchronize()
    times.append((time.perf_counter() - t0) * 1e3)
times.sort()
emit("sgd_epoch_b256", times[2], "ms", f"median of 5, {(n + 255) // 256} steps, plain loop")

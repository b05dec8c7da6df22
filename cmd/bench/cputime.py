"""CPU time per forward pass of this project's CPU backend and of
onnxruntime-node, and per training step of ours and PyTorch's, one thread
each, measured by difference so that a shared, loaded machine disturbs it
less than wall-clock time.

Each runtime's own benchmark is run twice, with RUNS and with 1 timed runs
after the same setup; (CPU time of the first − CPU time of the second) /
(RUNS − 1) is the CPU time of one forward pass (user + system, of the
process and its threads, from getrusage of the children). Ours is
BenchmarkForwardCPU (internal/model, GOMAXPROCS=1), onnxruntime-node
cmd/bench/ort_bench.js on the ONNX file and input that `go run ./cmd/bench
-peers` left in out/peers (run that first). The training step (wf 16,
batch 4, S 256) is `cmd/bench -train` with -python '' for ours and
cmd/bench/torch_bench.py for PyTorch (Debian's /usr/bin/python3). Other tenants still slow both
through the shared caches and memory; wall-clock time under load also
counts the time a runtime waits for a core, which is why this exists.

Usage: /usr/bin/python3 cmd/bench/cputime.py [RUNS] [REPEATS] [TRAIN_RUNS]
prints, per width, the smallest of REPEATS differences (default 20 runs, 3
repeats; training 4 steps) and the ratio peer / ours (above 1: ours is
faster).
"""
import os
import resource
import subprocess
import sys
import tempfile


def child_cpu(cmd, env=None):
    """CPU seconds (user + system) that running cmd to completion took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def per_run(make_cmd, runs, repeats, env=None):
    """Smallest over repeats of the CPU milliseconds of one run, by difference."""
    best = None
    for _ in range(repeats):
        d = (child_cpu(make_cmd(runs), env) - child_cpu(make_cmd(1), env)) / (runs - 1) * 1000
        best = d if best is None else min(best, d)
    return best


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tmp = tempfile.mkdtemp()
    test_bin = os.path.join(tmp, "model.test")
    subprocess.run(["go", "test", "-c", "-o", test_bin, "./internal/model"], check=True)
    env = dict(os.environ, GOMAXPROCS="1")
    print("CPU ms per forward pass, 1 thread, S 256, batch 1, smallest of %d differences of %d and 1 runs" % (repeats, runs))
    print("%6s %10s %18s %7s" % ("case", "ours", "onnxruntime-node", "ratio"))
    for wf in (16, 32):
        # -test.benchtime Nx runs the benchmark function with b.N = 1 and
        # then, for N > 1, again with b.N = N, each time with its setup and
        # warm-up pass: n+1 passes make every command run it twice
        ours = per_run(lambda n: [test_bin, "-test.run", "^$", "-test.bench", "ForwardCPU/wf%d$" % wf,
                                  "-test.benchtime", "%dx" % (n + 1)], runs, repeats, env)
        d = os.path.join("out", "peers", "wf%d-s256" % wf)
        ort = per_run(lambda n: ["node", "cmd/bench/ort_bench.js", os.path.join("out", "peers"), os.path.join(d, "n2n.onnx"),
                                 os.path.join(d, "input.f32"), "256", str(n), "1", os.path.join(tmp, "out.f32")], runs, repeats)
        print("%6s %10.1f %18.1f %7.2f" % ("wf=%d" % wf, ours, ort, ort / ours))
    train_runs = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    if train_runs < 2:
        return
    bench_bin = os.path.join(tmp, "bench")
    subprocess.run(["go", "build", "-o", bench_bin, "./cmd/bench"], check=True)
    ours = per_run(lambda n: [bench_bin, "-backends", "cpu", "-python", "", "-train", "-wf", "16", "-threads", "1",
                              "-iters", str(n)], train_runs, repeats, env)
    torch = per_run(lambda n: ["/usr/bin/python3", "cmd/bench/torch_bench.py", "16", "256", str(n), "1", "4"], train_runs, repeats)
    print("CPU ms per training step, wf 16, batch 4, 1 thread, smallest of %d differences of %d and 1 steps" % (repeats, train_runs))
    print("%10s %10s %7s" % ("ours", "pytorch", "ratio"))
    print("%10.1f %10.1f %7.2f" % (ours, torch, torch / ours))


if __name__ == "__main__":
    main()

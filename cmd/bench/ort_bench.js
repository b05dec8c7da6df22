// Times onnxruntime-node on an ONNX export of the network: the native peer
// of `go run ./cmd/bench -peers`, which runs it with Debian's node.
//
// Usage: node cmd/bench/ort_bench.js PEERS_DIR MODEL.onnx INPUT.f32 SIZE ITERS THREADS OUTPUT.f32
// PEERS_DIR holds node_modules/onnxruntime-node (the bench's setup step
// installs it there). INPUT.f32 is the (1,3,SIZE,SIZE) input as little-endian
// float32; the output of the first run is written to OUTPUT.f32 the same way.
// Prints one JSON line: {"forward": [ms, ...]}, the milliseconds of ITERS
// runs after one warm-up, on a CPU session with THREADS intra-op threads.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [peers, model, input, size, iters, threads, output] = process.argv.slice(2);
  const ort = require(path.resolve(peers, 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const raw = fs.readFileSync(input);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const s = Number(size);
  const x = new ort.Tensor('float32', data, [1, 3, s, s]);
  const times = [];
  for (let i = 0; i <= Number(iters); i++) {
    const t0 = process.hrtime.bigint();
    const out = await session.run({ x });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i === 0) {
      const y = out.xhat.data;
      fs.writeFileSync(output, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    } else {
      times.push(ms);
    }
  }
  console.log(JSON.stringify({ forward: times }));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});

"""Exports an N2N-M weights file to ONNX, for the onnxruntime peer of `go run ./cmd/bench -peers`.

Usage (the bench command runs it): /usr/bin/python3 cmd/bench/onnx_export.py WEIGHTS.safetensors OUT.onnx
The network is testdata/n2n_torch.py's N2NM with the file's configuration and weights, exported
with torch.onnx.export (opset 17, batch 1, input "x" (1,3,S,S), output "xhat" (1,3,S,S)).
Prints one JSON line: {"onnx": OUT.onnx, "opset": 17}.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "testdata"))
import torch  # noqa: E402

import n2n_torch  # noqa: E402

OPSET = 17


def main():
    weights, out = sys.argv[1], sys.argv[2]
    tensors, meta = n2n_torch.read_safetensors(weights)
    net = n2n_torch.N2NM(int(meta["wf"]), int(meta["depth"]), int(meta["size"]), meta["attention"] == "true")
    net.load_state_dict(tensors)
    net = net.float().eval()
    size = int(meta["size"])
    x = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(net, (x,), out, input_names=["x"], output_names=["xhat"], opset_version=OPSET)
    print(json.dumps({"onnx": out, "opset": OPSET}))


if __name__ == "__main__":
    main()

//go:build !js

package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/noise2norm/noise2norm/internal/model"
)

// The onnxruntime-node peer (-peers): the network exported to ONNX from the
// repository's PyTorch definition (onnx_export.py, with the weights the
// backends run), timed by ort_bench.js under Debian's node with the same
// input, its output compared with the CPU backend's.

// ortVersion is the onnxruntime-node release the setup step installs.
const ortVersion = "1.30.0"

// peerTolerance bounds the normalised error ‖ours − peer‖/‖peer‖ of the
// forward output; a larger one fails the bench (the peer would be timing a
// different computation).
const peerTolerance = 1e-4

// peerResult is the onnxruntime-node forward of one width.
type peerResult struct {
	wf      int
	ms      float64 // milliseconds (summary of the runs)
	normErr float64 // ‖ours − peer‖/‖peer‖ against the CPU backend's output
}

// setupPeers installs onnxruntime-node and onnxruntime-web into
// b.peersDir with npm unless they are there. ONNXRUNTIME_NODE_INSTALL=skip
// keeps onnxruntime-node's install script from fetching CUDA binaries from
// outside the npm registry; the CPU build is in the package itself.
func (b *bench) setupPeers() error {
	var missing []string
	for _, pkg := range []string{"onnxruntime-node", "onnxruntime-web"} {
		if _, err := os.Stat(filepath.Join(b.peersDir, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, pkg+"@"+ortVersion)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(b.peersDir, 0o755); err != nil {
		return err
	}
	b.logf("installing %s into %s", strings.Join(missing, ", "), b.peersDir)
	cmd := exec.Command(b.npm, append([]string{"install", "--prefix", b.peersDir, "--no-audit", "--no-fund", "--no-save"}, missing...)...)
	cmd.Env = append(os.Environ(), "ONNXRUNTIME_NODE_INSTALL=skip")
	cmd.Stdout, cmd.Stderr = b.stderr, b.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peers: %s install %s (needs Debian's nodejs and npm and the npm registry): %w", b.npm, strings.Join(missing, " "), err)
	}
	return nil
}

// prepareONNX writes, into b.peersDir/wf<wf>-s<S>/, the bench's weights of
// cfg, their ONNX export (n2n.onnx) and the bench's input (input.f32,
// little-endian float32), and returns the paths of the last two.
func (b *bench) prepareONNX(cfg model.Config) (onnx, in string, err error) {
	dir, err := filepath.Abs(filepath.Join(b.peersDir, fmt.Sprintf("wf%d-s%d", cfg.WF, cfg.Size)))
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	weights, onnx := filepath.Join(dir, "weights.safetensors"), filepath.Join(dir, "n2n.onnx")
	in = filepath.Join(dir, "input.f32")
	w := &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)}
	if err := w.WriteFile(weights); err != nil {
		return "", "", err
	}
	if b.python == "" {
		return "", "", fmt.Errorf("peers: the ONNX export needs -python (Debian's python3-torch)")
	}
	export := filepath.Join(filepath.Dir(b.script), "onnx_export.py")
	if err := b.runJSON(nil, b.python, export, weights, onnx); err != nil {
		return "", "", fmt.Errorf("peers: ONNX export: %w", err)
	}
	return onnx, in, writeFloats(in, inputData(cfg, 1))
}

// runORT exports cfg's network with the bench's weights to ONNX, times
// onnxruntime-node on the bench's input and compares its output with the
// CPU backend's.
func (b *bench) runORT(cfg model.Config) (peerResult, error) {
	r := peerResult{wf: cfg.WF}
	onnx, in, err := b.prepareONNX(cfg)
	if err != nil {
		return r, err
	}
	out := filepath.Join(filepath.Dir(onnx), "output.f32")
	var res struct{ Forward []float64 }
	script := filepath.Join(filepath.Dir(b.script), "ort_bench.js")
	peers, err := filepath.Abs(b.peersDir)
	if err != nil {
		return r, err
	}
	if err := b.runJSON(&res, b.node, script, peers, onnx, in, itoa(cfg.Size), itoa(b.iters), itoa(b.threads), out); err != nil {
		return r, fmt.Errorf("peers: onnxruntime-node: %w", err)
	}
	r.ms = summary(res.Forward)
	got, err := readFloats(out)
	if err != nil {
		return r, err
	}
	ours, ok := b.outputs[cfg.WF]
	if !ok {
		return r, fmt.Errorf("peers: no CPU backend output to compare onnxruntime-node's with (add cpu to -backends)")
	}
	if r.normErr = normError(ours, got); !(r.normErr <= peerTolerance) {
		return r, fmt.Errorf("peers: onnxruntime-node's output differs from the CPU backend's: normalised error %.3g > %g", r.normErr, peerTolerance)
	}
	fmt.Fprintf(b.stderr, "onnxruntime-node wf=%d: %v ms, normalised error %.3g\n", cfg.WF, res.Forward, r.normErr)
	return r, nil
}

// runJSON runs name with args and decodes its last output line into out
// (unless out is nil); a failure carries the last line of its stderr.
func (b *bench) runJSON(out any, name string, args ...string) error {
	raw, err := exec.Command(name, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%s: %v: %s", name, err, lastLine(string(ee.Stderr)))
		}
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(lastLine(string(raw))), out)
}

// peerTable prints, per width, the CPU backend's forward beside
// onnxruntime-node's and PyTorch's, and its detection beside PyTorch's, as
// ratios peer time / our time (above 1: ours is faster).
func (b *bench) peerTable(w io.Writer, ort []peerResult) error {
	find := func(who, what string) *row {
		for i := range b.rows {
			if b.rows[i].who == who && b.rows[i].what == what {
				return &b.rows[i]
			}
		}
		return nil
	}
	fmt.Fprintf(w, "\npeers, S %d, batch 1, %s, same weights and input, CPU threads %d; ratio = peer ms / cpu ms (above 1: ours is faster)\n", b.size, statName, b.threads)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tpath\tcpu ms\tpeer\tpeer ms\tratio\toutput vs cpu\t")
	for _, r := range ort {
		what := fmt.Sprintf("wf=%d", r.wf)
		ours := find("cpu", what)
		if ours == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\tforward\t%.1f\tonnxruntime-node\t%.1f\t%.2f\t%.1e\t\n", what, ours.ms[0], r.ms, r.ms/ours.ms[0], r.normErr)
		if pt := find(b.peer, what); pt != nil {
			fmt.Fprintf(tw, "%s\tforward\t%.1f\tpytorch\t%.1f\t%.2f\t-\t\n", what, ours.ms[0], pt.ms[0], pt.ms[0]/ours.ms[0])
			fmt.Fprintf(tw, "%s\tdetect\t%.1f\tpytorch\t%.1f\t%.2f\t-\t\n", what, ours.ms[1], pt.ms[1], pt.ms[1]/ours.ms[1])
		}
	}
	return tw.Flush()
}

// normError is ‖a − b‖/‖b‖.
func normError(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d, n float64
	for i := range a {
		e := float64(a[i]) - float64(b[i])
		d += e * e
		n += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(d / n)
}

// writeFloats writes v to path as little-endian float32.
func writeFloats(path string, v []float32) error {
	buf := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	return os.WriteFile(path, buf, 0o644)
}

// readFloats reads a file of little-endian float32.
func readFloats(path string) ([]float32, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := floatsOf(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// floatsOf decodes little-endian float32s.
func floatsOf(buf []byte) ([]float32, error) {
	if len(buf)%4 != 0 {
		return nil, fmt.Errorf("%d bytes, not float32s", len(buf))
	}
	v := make([]float32, len(buf)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return v, nil
}

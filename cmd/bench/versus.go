//go:build !js

package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/native"
)

// versus (-versus) measures, in one run at the first width of -wf, every
// row of issue 11's table, each path of this project beside the runtime a
// user would pick instead, and prints it last:
//
//   - browser WebGPU (SwiftShader) vs onnxruntime-web's WebGPU build,
//   - browser CPU (Go wasm) vs onnxruntime-web's wasm build (SIMD, 1 thread),
//   - native CPU forward vs onnxruntime-node (-threads threads),
//   - native CPU detection (noise + forward + loss map) vs PyTorch,
//   - native CPU training step (-batch images) vs PyTorch,
//
// and says why there is no real-GPU row. The tables of the parts (forward
// with -peers, -train, -browser) come first.
func (b *bench) versus(w io.Writer) error {
	wf := b.widths[0]
	b.widths, b.backends, b.peers = []int{wf}, []string{"cpu"}, true
	if len(b.browserRows) == 0 {
		b.browserRows = []string{"webgpu", "cpu"}
	}
	browser, err := b.measureBrowser()
	if err != nil {
		return err
	}
	if err := b.browserTable(w, browser); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := b.forward(w); err != nil {
		return err
	}
	what := fmt.Sprintf("wf=%d", wf)
	cpuRow, torchFwd := b.find("cpu", what), b.find(b.peer, what)
	var torchDetect float64
	if torchFwd != nil {
		torchDetect = torchFwd.ms[1]
	}
	b.rows, b.ratioOfTimes = nil, false // train's ratios are of images/s
	fmt.Fprintln(w)
	if err := b.train(w); err != nil {
		return err
	}
	cpuTrain, torchTrain := b.find("cpu", what), b.find(b.peer, what)

	type line struct {
		path, ours, peer, peerFig string
		ratio                     float64
	}
	var lines []line
	for _, r := range browser {
		lines = append(lines, line{fmt.Sprintf("%s, %d runs", r.c.path, r.iters), fmt.Sprintf("%.1f ms", r.oursMS), r.c.peer, fmt.Sprintf("%.1f ms", r.peerMS), r.peerMS / r.oursMS})
	}
	if cpuRow != nil && len(b.ort) > 0 {
		lines = append(lines, line{"native CPU forward, " + threadsText(b.threads), fmt.Sprintf("%.1f ms", cpuRow.ms[0]),
			"onnxruntime-node, " + threadsText(b.threads), fmt.Sprintf("%.1f ms", b.ort[0].ms), b.ort[0].ms / cpuRow.ms[0]})
	}
	if cpuRow != nil && torchFwd != nil {
		lines = append(lines, line{"native CPU detection (noise + forward + loss map)", fmt.Sprintf("%.1f ms", cpuRow.ms[1]),
			"PyTorch, " + threadsText(b.threads), fmt.Sprintf("%.1f ms", torchDetect), torchDetect / cpuRow.ms[1]})
	}
	if cpuTrain != nil && torchTrain != nil {
		ips := func(ms float64) string { return fmt.Sprintf("%.2f images/s", float64(b.batch)*1000/ms) }
		lines = append(lines, line{fmt.Sprintf("native training step, batch %d", b.batch), ips(cpuTrain.ms[0]),
			"PyTorch, " + threadsText(b.threads), ips(torchTrain.ms[0]), torchTrain.ms[0] / cpuTrain.ms[0]})
	}
	fmt.Fprintf(w, "\nissue 11's table, measured in this run: wf %d, S %d, one image (training: %d), %s; ratio = peer time / ours (above 1: ours is faster)\n", wf, b.size, b.batch, statName)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tthis project\tpeer, same run\tpeer\tratio\t")
	for _, l := range lines {
		ratio := "-"
		if !math.IsNaN(l.ratio) {
			ratio = fmt.Sprintf("%.2f", l.ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", l.path, l.ours, l.peer, l.peerFig, ratio)
	}
	fmt.Fprintln(tw, b.realGPU(b.config(wf)))
	return tw.Flush()
}

// realGPU is the table's real-GPU line: the WebGPU backend's forward on an
// adapter that is not a CPU one, if the machine has one (no peer: PyTorch
// here is a CPU build), else why there is none.
func (b *bench) realGPU(cfg model.Config) string {
	g, err := native.Open(native.Options{Adapter: "gpu", Logf: b.logf})
	if err != nil {
		b.logf("real GPU: %v", err)
		return "real GPU\tnot measured: no adapter but CPU ones here\t-\t-\t-\t"
	}
	defer g.Close()
	fwd, det, _, err := b.timeForward(g, cfg)
	if err != nil {
		return fmt.Sprintf("real GPU (%s)\tfailed: %v\t-\t-\t-\t", g.Name(), err)
	}
	return fmt.Sprintf("real GPU (%s)\tforward %.2f ms, detection %.2f ms\t(no GPU peer in this bench)\t-\t-\t", g.Name(), fwd, det)
}

// find returns the row of who and what, or nil.
func (b *bench) find(who, what string) *row {
	for i := range b.rows {
		if b.rows[i].who == who && b.rows[i].what == what {
			return &b.rows[i]
		}
	}
	return nil
}

// threadsText is "1 thread" or "N threads".
func threadsText(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return fmt.Sprintf("%d threads", n)
}

//go:build !js

package cpu

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSIMDModuleMatchesSource assembles gemm_simd.wat with wabt's wat2wasm
// (Debian package wabt, see .ci/deps) and fails unless the result is the
// committed gemm_simd.wasm that the wasm build embeds (`make simd-kernel`
// rebuilds it).
func TestSIMDModuleMatchesSource(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Fatalf("wat2wasm not found (Debian package wabt; .ci/deps installs it): %v", err)
	}
	out := filepath.Join(t.TempDir(), "gemm_simd.wasm")
	if b, err := exec.Command(wat2wasm, "gemm_simd.wat", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm gemm_simd.wat: %v\n%s", err, b)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("gemm_simd.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		t.Fatalf("gemm_simd.wasm (%d bytes) is not gemm_simd.wat assembled (%d bytes): run `make simd-kernel`", len(committed), len(built))
	}
}

// TestSIMDUnderNode builds this package's tests for GOOS=js GOARCH=wasm and
// runs the convolution tests under node with testdata/wasm_exec_simd.js,
// which publishes the Go memory as the demo's worker does, so the SIMD
// kernel loads (N2N_SIMD_REQUIRED makes its absence a failure):
// TestSIMDMatchesGo and TestSIMDOpTable compare it with the pure-Go kernel
// forward and backward, TestSIMDDotsMatchGo and TestSIMDConv2DBackwardDot
// its weight-gradient dot products with Go's, TestConv2D,
// TestConv2DBackward and TestOpsAgainstPyTorch with their references.
// Two more runs take the engine's SIMD or the Go memory away (N2N_WITHOUT)
// and check that the pure-Go kernel takes over (TestSIMDFallback, TestConv2D).
func TestSIMDUnderNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (Debian package nodejs; .ci/deps installs it): %v", err)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "cpu.test.wasm")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the wasm tests: %v\n%s", err, b)
	}
	for _, c := range []struct {
		name, env string
		tests     []string
	}{
		{"simd", "N2N_SIMD_REQUIRED=1", []string{"TestSIMDMatchesGo", "TestSIMDBlurMatchesGo", "TestSIMDDotsMatchGo", "TestSIMDConv2DBackwardDot", "TestSIMDLossRowsMatchGo", "TestSIMDOpTable", "TestConv2D", "TestConv2DBackward", "TestOpsAgainstPyTorch"}},
		{"without-simd", "N2N_WITHOUT=simd", []string{"TestSIMDFallback", "TestConv2D", "TestConv2DBackward"}},
		{"without-memory", "N2N_WITHOUT=memory", []string{"TestSIMDFallback", "TestConv2D", "TestConv2DBackward"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := exec.Command(node, filepath.Join("testdata", "wasm_exec_simd.js"), bin,
				"-test.run", "^("+strings.Join(c.tests, "|")+")$", "-test.v")
			run.Env = append(os.Environ(), "GOROOT="+strings.TrimSpace(string(goroot)), c.env)
			out, err := run.CombinedOutput()
			if err != nil {
				t.Fatalf("the wasm tests under node: %v\n%s", err, out)
			}
			for _, name := range c.tests {
				if !regexp.MustCompile(`(?m)^--- PASS: ` + name + ` `).Match(out) {
					t.Errorf("%s did not pass under node:\n%s", name, out)
				}
			}
			if !t.Failed() && testing.Verbose() {
				t.Logf("node output:\n%s", out)
			}
		})
	}
}

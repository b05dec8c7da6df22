//go:build !js

package native

import (
	"os"
	"strings"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"
)

func TestMain(m *testing.M) {
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		os.Setenv("XDG_RUNTIME_DIR", "/tmp") // quiets Mesa's lavapipe
	}
	os.Exit(m.Run())
}

// adapters is a machine with every kind of adapter.
var adapters = []wgpu.AdapterInfo{
	{Name: "0x0", DriverDescription: "llvmpipe (LLVM 15.0.6, 256 bits)", AdapterType: wgpu.AdapterTypeCPU, BackendType: wgpu.BackendTypeOpenGL},
	{Name: "0x0", DriverDescription: "llvmpipe (LLVM 15.0.6, 256 bits)", AdapterType: wgpu.AdapterTypeCPU, BackendType: wgpu.BackendTypeVulkan},
	{Name: "Intel(R) UHD Graphics 630", AdapterType: wgpu.AdapterTypeIntegratedGPU, BackendType: wgpu.BackendTypeVulkan},
	{Name: "NVIDIA GeForce RTX 3060", AdapterType: wgpu.AdapterTypeDiscreteGPU, BackendType: wgpu.BackendTypeOpenGL},
	{Name: "NVIDIA GeForce RTX 3060", AdapterType: wgpu.AdapterTypeDiscreteGPU, BackendType: wgpu.BackendTypeVulkan},
}

func TestChoose(t *testing.T) {
	cases := []struct {
		infos []wgpu.AdapterInfo
		want  string
		pick  int
	}{
		{adapters, "", 4},
		{adapters, "discrete", 4},
		{adapters, "integrated", 2},
		{adapters, "cpu", 1},
		{adapters, "LLVMpipe", 1},
		{adapters, "uhd", 2},
		{adapters[:3], "", 2},
		{adapters[:2], "", 1},
		{adapters, "gpu", 4},
		{adapters[:3], "gpu", 2},
	}
	for _, c := range cases {
		got, err := choose(c.infos, c.want)
		if err != nil || got != c.pick {
			t.Errorf("choose(%d adapters, %q) = %d, %v; want %d", len(c.infos), c.want, got, err, c.pick)
		}
	}
	for _, want := range []string{"discrete", "gpu"} {
		if _, err := choose(adapters[:2], want); err == nil || !strings.Contains(err.Error(), "llvmpipe") {
			t.Errorf("choose(%q) among CPU adapters: error %v, want one listing the adapters", want, err)
		}
	}
}

// TestOpen opens the best adapter of this machine; it fails where there
// is none.
func TestOpen(t *testing.T) {
	b, err := Open(Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Name(), "webgpu (") || b.MaxStorageBinding() < 128<<20 {
		t.Errorf("opened %q with a storage binding limit of %d bytes", b.Name(), b.MaxStorageBinding())
	}
	b.Close()
}

func TestOpenNoMatch(t *testing.T) {
	t.Setenv("N2N_ADAPTER", "no such adapter")
	b, err := Open(Options{Logf: t.Logf})
	if err == nil {
		b.Close()
		t.Fatal("Open with N2N_ADAPTER matching nothing succeeded")
	}
	if !strings.Contains(err.Error(), "no such adapter") {
		t.Errorf("error %q does not say what was asked for", err)
	}
}

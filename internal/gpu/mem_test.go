//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// TestMemStats checks the tensor-buffer accounting: buffers count by their
// pool size (rounded up to 256 bytes) while held, the peak keeps the most
// held at once until ResetPeak, and a buffer reused from the pool is not
// created again.
func TestMemStats(t *testing.T) {
	before := dev.MemStats()
	dev.ResetPeak()
	a := dev.Upload(backend.Shape{N: 1, C: 1, H: 1, W: 100}, make([]float32, 100)) // 400 bytes → 512
	b := dev.Upload(backend.Shape{N: 1, C: 1, H: 16, W: 16}, make([]float32, 256)) // 1024 bytes
	held := dev.MemStats()
	if got, want := held.Live-before.Live, int64(512+1024); got != want {
		t.Errorf("two tensors hold %d bytes more, want %d", got, want)
	}
	if held.Peak != held.Live {
		t.Errorf("peak %d, want the live %d", held.Peak, held.Live)
	}
	dev.Free(a)
	dev.Free(b)
	freed := dev.MemStats()
	if freed.Live != before.Live || freed.Peak != held.Peak {
		t.Errorf("after Free: live %d (want %d), peak %d (want %d)", freed.Live, before.Live, freed.Peak, held.Peak)
	}
	dev.ResetPeak()
	c := dev.Upload(backend.Shape{N: 1, C: 1, H: 1, W: 128}, make([]float32, 128)) // 512 bytes: a's buffer again
	defer dev.Free(c)
	again := dev.MemStats()
	if again.Created != freed.Created {
		t.Errorf("a pooled buffer of the same size was created anew: %d → %d bytes created", freed.Created, again.Created)
	}
	if got, want := again.Peak, before.Live+512; got != want {
		t.Errorf("peak after ResetPeak and one 512-byte tensor: %d, want %d", got, want)
	}
	if _, err := dev.Download(c); err != nil {
		t.Fatal(err)
	}
}

//go:build !js

package gpu

import (
	"time"

	"github.com/cogentcore/webgpu/wgpu"
)

// New wraps a device opened natively (see package native), named after its
// adapter; cpuAdapter says the adapter runs on the CPU (Mesa's lavapipe),
// which selects the kernels tuned for it. Natively the wgpu library wraps each call in a validation error
// scope and returns its error, so the Backend needs no scope of its own.
func New(dev *wgpu.Device, adapter string, cpuAdapter bool) (*Backend, error) {
	return newBackend(dev, adapter, cpuAdapter, errorScope{})
}

// errorScope is a no-op natively: errors come back from each library call.
type errorScope struct{}

func (*errorScope) begin()     {}
func (*errorScope) end() error { return nil }

// waitIdle returns once the device has finished all submitted work.
func (b *Backend) waitIdle() {
	for !b.dev.Poll(false, nil) {
		time.Sleep(50 * time.Microsecond)
	}
}

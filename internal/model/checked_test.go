package model_test

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
)

// checked is the CPU backend with ownership checks, standing in for a
// GPU backend that recycles freed buffers: it panics when an op reads a
// tensor that was freed or that it never made, and when a tensor is freed
// twice; it counts the tensors alive and the high-water mark of their
// bytes. It implements every method of backend.Trainer itself (no embedded
// backend), so a new op does not compile until it is wrapped.
type checked struct {
	be        *cpu.Backend
	live      map[backend.Tensor]bool
	liveBytes int64 // bytes of the tensors alive
	peakBytes int64 // the most liveBytes has been
}

var _ backend.Trainer = (*checked)(nil)

func newChecked() *checked { return &checked{be: cpu.New(), live: map[backend.Tensor]bool{}} }

// use panics unless every non-nil t is alive.
func (c *checked) use(op string, ts ...backend.Tensor) {
	for _, t := range ts {
		if t != nil && !c.live[t] {
			panic(fmt.Sprintf("%s: input %v freed or unknown", op, t.Shape()))
		}
	}
}

// made records new tensors as alive and returns the first.
func (c *checked) made(ts ...backend.Tensor) backend.Tensor {
	for _, t := range ts {
		if t != nil {
			c.live[t] = true
			c.liveBytes += 4 * int64(t.Shape().Len())
			c.peakBytes = max(c.peakBytes, c.liveBytes)
		}
	}
	return ts[0]
}

func (c *checked) Name() string { return "checked " + c.be.Name() }

func (c *checked) Free(t backend.Tensor) {
	if t == nil {
		return
	}
	if !c.live[t] {
		panic(fmt.Sprintf("Free: %v freed twice or unknown", t.Shape()))
	}
	delete(c.live, t)
	c.liveBytes -= 4 * int64(t.Shape().Len())
	c.be.Free(t)
}

func (c *checked) Upload(s backend.Shape, d []float32) backend.Tensor {
	return c.made(c.be.Upload(s, d))
}

func (c *checked) Download(t backend.Tensor) ([]float32, error) {
	c.use("Download", t)
	return c.be.Download(t)
}

func (c *checked) Conv2D(x, w, b backend.Tensor, act backend.Activation) backend.Tensor {
	c.use("Conv2D", x, w, b)
	return c.made(c.be.Conv2D(x, w, b, act))
}

func (c *checked) Activate(x backend.Tensor, act backend.Activation) backend.Tensor {
	c.use("Activate", x)
	return c.made(c.be.Activate(x, act))
}

func (c *checked) Add(a, b backend.Tensor) backend.Tensor {
	c.use("Add", a, b)
	return c.made(c.be.Add(a, b))
}

func (c *checked) GlobalAvgPool(x backend.Tensor) backend.Tensor {
	c.use("GlobalAvgPool", x)
	return c.made(c.be.GlobalAvgPool(x))
}

func (c *checked) AvgPool2(x backend.Tensor) backend.Tensor {
	c.use("AvgPool2", x)
	return c.made(c.be.AvgPool2(x))
}

func (c *checked) PixelUnshuffle(x backend.Tensor) backend.Tensor {
	c.use("PixelUnshuffle", x)
	return c.made(c.be.PixelUnshuffle(x))
}

func (c *checked) PixelShuffle(x backend.Tensor) backend.Tensor {
	c.use("PixelShuffle", x)
	return c.made(c.be.PixelShuffle(x))
}

func (c *checked) UpsampleBilinear(x backend.Tensor, f int) backend.Tensor {
	c.use("UpsampleBilinear", x)
	return c.made(c.be.UpsampleBilinear(x, f))
}

func (c *checked) Concat(a, b backend.Tensor) backend.Tensor {
	c.use("Concat", a, b)
	return c.made(c.be.Concat(a, b))
}

func (c *checked) ChannelGate(y, w backend.Tensor) backend.Tensor {
	c.use("ChannelGate", y, w)
	return c.made(c.be.ChannelGate(y, w))
}

func (c *checked) SKFFFuse(os, logits []backend.Tensor) backend.Tensor {
	c.use("SKFFFuse", append(append([]backend.Tensor{}, os...), logits...)...)
	return c.made(c.be.SKFFFuse(os, logits))
}

func (c *checked) Noise(x0 backend.Tensor, lambda float32, seed uint32) backend.Tensor {
	c.use("Noise", x0)
	return c.made(c.be.Noise(x0, lambda, seed))
}

func (c *checked) LossMap(x0, xhat backend.Tensor, alpha float32) backend.Tensor {
	c.use("LossMap", x0, xhat)
	return c.made(c.be.LossMap(x0, xhat, alpha))
}

func (c *checked) Conv2DBackward(x, w, y, dy backend.Tensor, act backend.Activation, hasBias, needDX bool) (dx, dw, db backend.Tensor) {
	c.use("Conv2DBackward", x, w, y, dy)
	dx, dw, db = c.be.Conv2DBackward(x, w, y, dy, act, hasBias, needDX)
	c.made(dx, dw, db)
	return dx, dw, db
}

func (c *checked) GlobalAvgPoolBackward(dy backend.Tensor, s backend.Shape) backend.Tensor {
	c.use("GlobalAvgPoolBackward", dy)
	return c.made(c.be.GlobalAvgPoolBackward(dy, s))
}

func (c *checked) AvgPool2Backward(dy backend.Tensor) backend.Tensor {
	c.use("AvgPool2Backward", dy)
	return c.made(c.be.AvgPool2Backward(dy))
}

func (c *checked) UpsampleBilinearBackward(dy backend.Tensor, f int) backend.Tensor {
	c.use("UpsampleBilinearBackward", dy)
	return c.made(c.be.UpsampleBilinearBackward(dy, f))
}

func (c *checked) SliceChannels(x backend.Tensor, c0, c1 int) backend.Tensor {
	c.use("SliceChannels", x)
	return c.made(c.be.SliceChannels(x, c0, c1))
}

func (c *checked) ChannelGateBackward(y, w, dOut backend.Tensor) (dy, dw backend.Tensor) {
	c.use("ChannelGateBackward", y, w, dOut)
	dy, dw = c.be.ChannelGateBackward(y, w, dOut)
	c.made(dy, dw)
	return dy, dw
}

func (c *checked) SKFFFuseBackward(os, logits []backend.Tensor, dOut backend.Tensor) (dos, dlogits []backend.Tensor) {
	c.use("SKFFFuseBackward", append(append([]backend.Tensor{dOut}, os...), logits...)...)
	dos, dlogits = c.be.SKFFFuseBackward(os, logits, dOut)
	c.made(dos...)
	c.made(dlogits...)
	return dos, dlogits
}

func (c *checked) LossMapBackward(x0, xhat backend.Tensor, alpha, scale float32) backend.Tensor {
	c.use("LossMapBackward", x0, xhat)
	return c.made(c.be.LossMapBackward(x0, xhat, alpha, scale))
}

func (c *checked) LossMapAndBackward(x0, xhat backend.Tensor, alpha, scale float32) (lossMap, dxhat backend.Tensor) {
	c.use("LossMapAndBackward", x0, xhat)
	lossMap, dxhat = c.be.LossMapAndBackward(x0, xhat, alpha, scale)
	c.made(lossMap, dxhat)
	return lossMap, dxhat
}

func (c *checked) AdamW(param, grad, m, v backend.Tensor, h backend.AdamWParams) {
	c.use("AdamW", param, grad, m, v)
	c.be.AdamW(param, grad, m, v, h)
}

package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// ParamSpec names one tensor of the weights file and its PyTorch shape.
type ParamSpec struct {
	Name  string
	Shape []int
}

// attnWidth is the hidden width max(c/8, 4) of RAM and SKFF.
func attnWidth(c int) int { return max(c/8, 4) }

// ParamSpecs lists every parameter of the network for c in a fixed order,
// with the spec's names and shapes: conv weights (out,in,k,k), biases (out).
func ParamSpecs(c Config) []ParamSpec {
	var ps []ParamSpec
	conv := func(name string, out, in, k int, bias bool) {
		ps = append(ps, ParamSpec{name + ".weight", []int{out, in, k, k}})
		if bias {
			ps = append(ps, ParamSpec{name + ".bias", []int{out}})
		}
	}
	ram := func(name string, in, out int) {
		conv(name+".proj", out, in, 1, true)
		if c.Attention {
			h := attnWidth(out)
			conv(name+".fc1", h, out, 1, true)
			conv(name+".fc2", out, h, 1, true)
		}
	}
	block := func(name string, ch int) {
		conv(name+".conv1", ch, ch, 3, true)
		conv(name+".conv2", ch, ch, 3, true)
	}
	for i := 0; i < c.Depth; i++ {
		conv(fmt.Sprintf("stem.%d", i), c.WF, 3, 3, true)
	}
	for i := 1; i < c.Depth; i++ {
		conv(fmt.Sprintf("down.%d", i), c.Channels(i), 4*c.Channels(i-1), 1, true)
		ram(fmt.Sprintf("eram.%d", i), c.Channels(i)+c.WF, c.Channels(i))
	}
	for i := 0; i < c.Depth; i++ {
		block(fmt.Sprintf("eblock.%d", i), c.Channels(i))
	}
	for i := 0; i <= c.Depth-2; i++ {
		conv(fmt.Sprintf("up.%d", i), c.Channels(i), c.Channels(i+1)/4, 1, true)
		ram(fmt.Sprintf("dram.%d", i), 2*c.Channels(i), c.Channels(i))
		block(fmt.Sprintf("dblock.%d", i), c.Channels(i))
	}
	for i := 0; i < c.Depth; i++ {
		conv(fmt.Sprintf("side.%d", i), c.WF, c.Channels(i), 3, true)
	}
	d := attnWidth(c.WF)
	conv("skff.fc", d, c.WF, 1, false)
	for i := 0; i < c.Depth; i++ {
		conv(fmt.Sprintf("skff.fcs.%d", i), c.WF, d, 1, false)
	}
	conv("head", 3, c.WF, 3, true)
	return ps
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// InitParams returns seeded random parameters in PyTorch's default Conv2d
// initialisation: weights and biases uniform in ±1/sqrt(fan_in).
func InitParams(c Config, seed uint64) map[string][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6e326e))
	params := map[string][]float32{}
	fanIn := map[string]int{}
	for _, p := range ParamSpecs(c) {
		if strings.HasSuffix(p.Name, ".weight") {
			fanIn[strings.TrimSuffix(p.Name, ".weight")] = numel(p.Shape[1:])
		}
	}
	for _, p := range ParamSpecs(c) {
		bound := 1 / math.Sqrt(float64(fanIn[p.Name[:strings.LastIndex(p.Name, ".")]]))
		v := make([]float32, numel(p.Shape))
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * bound)
		}
		params[p.Name] = v
	}
	return params
}

// FLOPs is the multiply-add count ×2 of the network's convolutions for one
// S×S image (the other ops are comparatively free).
func FLOPs(c Config) int64 {
	var total int64
	for _, p := range ParamSpecs(c) {
		if !strings.HasSuffix(p.Name, ".weight") {
			continue
		}
		side := c.Size // head, skff (1×1 spatial: counted below)
		switch {
		case strings.HasPrefix(p.Name, "skff."), strings.Contains(p.Name, ".fc1."), strings.Contains(p.Name, ".fc2."):
			side = 1
		case !strings.HasPrefix(p.Name, "head."):
			var level int
			fmt.Sscanf(p.Name[strings.Index(p.Name, ".")+1:], "%d", &level)
			side = c.Size >> level
		}
		total += 2 * int64(numel(p.Shape)) * int64(side*side)
	}
	return total
}

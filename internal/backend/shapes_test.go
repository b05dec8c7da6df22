package backend

import (
	"strings"
	"testing"
)

func TestShapes(t *testing.T) {
	s := Shape{N: 2, C: 8, H: 6, W: 4}
	for _, c := range []struct {
		name      string
		got, want Shape
	}{
		{"concat", ConcatShape(s, Shape{2, 3, 6, 4}), Shape{2, 11, 6, 4}},
		{"half", HalfShape("AvgPool2", s), Shape{2, 8, 3, 2}},
		{"unshuffle", UnshuffleShape(s), Shape{2, 32, 3, 2}},
		{"shuffle", ShuffleShape(s), Shape{2, 2, 12, 8}},
		{"upsample", UpsampleShape(s, 3), Shape{2, 8, 18, 12}},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestShapeRefusals: each rule panics naming the op and the shape.
func TestShapeRefusals(t *testing.T) {
	odd := Shape{N: 1, C: 3, H: 5, W: 4}
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"Concat of (1,3,5,4) and (1,3,4,4)", func() { ConcatShape(odd, Shape{1, 3, 4, 4}) }},
		{"AvgPool2 of (1,3,5,4)", func() { HalfShape("AvgPool2", odd) }},
		{"PixelUnshuffle of (1,3,5,4)", func() { UnshuffleShape(odd) }},
		{"PixelShuffle of (1,3,5,4)", func() { ShuffleShape(odd) }},
		{"UpsampleBilinear of (1,3,5,4) by 0", func() { UpsampleShape(odd, 0) }},
	} {
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, c.want) {
					t.Errorf("panic %q, want one containing %q", r, c.want)
				}
			}()
			c.f()
		}()
	}
}

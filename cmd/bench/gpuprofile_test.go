//go:build !js

package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestGPUProfileOutput runs -gpu-profile on a tiny network with both GPU
// conv families on the machine's WebGPU adapter (lavapipe here; the test
// fails without one) and checks each table: a header per family and work,
// kernel lines whose shares add up to about 100%, and the 3×3 kernel of
// the family among them.
func TestGPUProfileOutput(t *testing.T) {
	var out, errs bytes.Buffer
	args := []string{"-gpu-profile", "-wf", "4", "-size", "16", "-iters", "1", "-batch", "1", "-gpu-conv", "register,tiled", "-gpu-profile-work", "forward,train", "-python", ""}
	if code := run(args, &out, &errs); code != 0 {
		t.Fatalf("bench %v: exit %d: %s", args, code, errs.String())
	}
	tables := strings.Split(out.String(), "\nprofile of ")[1:]
	if len(tables) != 4 {
		t.Fatalf("%d profile tables, want 4 (2 families × 2 works):\n%s", len(tables), out.String())
	}
	line := regexp.MustCompile(`(?m)^\s*(\w+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)%\s*$`)
	for i, tab := range tables {
		fam := []string{"register", "register", "tiled", "tiled"}[i]
		if !strings.Contains(tab, "conv kernels "+fam) {
			t.Errorf("table %d does not say conv kernels %s:\n%s", i, fam, tab)
		}
		conv := map[string]string{"register": "conv3x3", "tiled": "conv3x3_tiled"}[fam]
		share, found := 0.0, false
		for _, m := range line.FindAllStringSubmatch(tab, -1) {
			s, _ := strconv.ParseFloat(m[5], 64)
			share += s
			found = found || m[1] == conv
		}
		if !found || share < 99 || share > 101 {
			t.Errorf("table %d: %s listed %t, shares sum to %.1f%%:\n%s", i, conv, found, share, tab)
		}
	}
}

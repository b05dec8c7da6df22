package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/synth"
)

func TestRunUsageErrors(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-out or -sheet is required"},
		{[]string{"-out", out, "extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-out", out, "-size", "8"}, "size 8: must be from 16"},
		{[]string{"-out", out, "-train", "-1"}, "train -1: a count cannot be negative"},
		{[]string{"-out", out, "-test-defect", "-5"}, "test-defect -5"},
		{[]string{"-out", out, "-category", "wood"}, `unknown category "wood": known categories are bracket, connector, metal_plate, pills, textile, tubes`},
		{[]string{"-out", out, "-size", "big"}, `invalid value "big" for flag -size`},
	} {
		var stderr bytes.Buffer
		if code := run(c.args, &stderr); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("synth %q: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("usage errors wrote %d entries into the output folder", len(entries))
	}
	var stderr bytes.Buffer
	if code := run([]string{"-h"}, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: synth -out DIR") {
		t.Errorf("synth -h: exit %d, stderr %q", code, stderr.String())
	}
}

func TestRunWritesDataSet(t *testing.T) {
	out := t.TempDir()
	args := []string{"-out", out, "-category", "pills", "-size", "32", "-train", "2", "-test-good", "1", "-test-defect", "1", "-seed", "3"}
	var stderr bytes.Buffer
	if code := run(args, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := "synth: pills/train/good: 2 images\nsynth: pills/test/good: 1 image\n" +
		"synth: pills/test/hole: 1 image\nsynth: pills/test/scratch: 1 image\nsynth: pills/test/stain: 1 image\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	for _, p := range []string{"train/good/001.png", "test/good/000.png", "test/stain/000.png", "ground_truth/stain/000_mask.png"} {
		if _, err := os.Stat(filepath.Join(out, "pills", filepath.FromSlash(p))); err != nil {
			t.Error(err)
		}
	}
	stderr.Reset()
	if code := run(args, &stderr); code != 1 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("second run: exit %d, stderr %q; want exit 1 and \"already exists\"", code, stderr.String())
	}
}

func TestRunAllCategories(t *testing.T) {
	out := t.TempDir()
	args := []string{"-out", out, "-category", "all", "-size", "24", "-train", "1", "-test-good", "0", "-test-defect", "1"}
	var stderr bytes.Buffer
	if code := run(args, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, c := range synth.Categories() {
		for _, d := range synth.DefectTypes(c) {
			for _, p := range []string{"train/good/000.png", "test/" + d + "/000.png", "ground_truth/" + d + "/000_mask.png"} {
				if _, err := os.Stat(filepath.Join(out, c, filepath.FromSlash(p))); err != nil {
					t.Error(err)
				}
			}
		}
	}
	// A second run is refused before it writes anything, even into a
	// category whose folder is missing.
	if err := os.RemoveAll(filepath.Join(out, "tubes")); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(args, &stderr); code != 1 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("second run: exit %d, stderr %q; want exit 1 and \"already exists\"", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "tubes")); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote tubes (stat: %v)", err)
	}
	stderr.Reset()
	if code := run([]string{"-out", out, "-category", "tubes,wood"}, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown category "wood"`) {
		t.Errorf("-category tubes,wood: exit %d, stderr %q", code, stderr.String())
	}
}

func TestRunSheet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sheet.png")
	var stderr bytes.Buffer
	if code := run([]string{"-sheet", path, "-size", "32"}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// One row per category, at least one column per image of a row.
	if rows := len(synth.Categories()); cfg.Height < rows*32 || cfg.Width < 6*32 {
		t.Errorf("sheet is %d×%d, want at least %d×%d", cfg.Width, cfg.Height, 6*32, rows*32)
	}
	stderr.Reset()
	if code := run([]string{"-sheet", path, "-out", t.TempDir()}, &stderr); code != 2 || !strings.Contains(stderr.String(), "exclude each other") {
		t.Errorf("-sheet with -out: exit %d, stderr %q", code, stderr.String())
	}
}

package synth

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-sha256.txt from this platform's output")

// goldenFile holds the SHA-256 of the small data sets goldenSets writes,
// made on linux/amd64 with go test ./internal/synth -run TestGolden -update
// and checked unchanged on linux/arm64 (under qemu-aarch64) and js/wasm
// (under Node.js); see docs/synth.md.
const goldenFile = "testdata/golden-sha256.txt"

// goldenSets are the data sets whose hashes are kept: one small set of
// each category, and one set of large images of a metal part, beyond the
// 512-pixel tile of coverage, so that the tiled rasterizing is covered.
func goldenSets() map[string]Options {
	sets := map[string]Options{}
	for _, cat := range Categories() {
		sets[cat] = Options{Category: cat, Size: 64, Train: 1, TestGood: 1, TestDefect: 1, Seed: 11}
	}
	sets["metal_plate-600"] = Options{Category: "metal_plate", Size: 600, Train: 1, TestGood: 1, TestDefect: 1, Seed: 12}
	return sets
}

// treeHash is the SHA-256 of every file under root: of each slash path
// relative to root, a newline, the file's length and its bytes, in path
// order.
func treeHash(t *testing.T, root string) string {
	files := readTree(t, root)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\n%d\n", name, len(files[name]))
		h.Write(files[name])
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestGoldenHashes(t *testing.T) {
	sets := goldenSets()
	got := map[string]string{}
	for name, o := range sets {
		got[name] = treeHash(t, generate(t, o))
	}
	names := make([]string, 0, len(sets))
	for name := range sets {
		names = append(names, name)
	}
	slices.Sort(names)
	if *update {
		var b strings.Builder
		fmt.Fprintf(&b, "# SHA-256 of the data sets of goldenSets in golden_test.go, made on %s/%s with\n", runtime.GOOS, runtime.GOARCH)
		b.WriteString("# go test ./internal/synth -run TestGoldenHashes -update\n")
		for _, name := range names {
			fmt.Fprintf(&b, "%s %s\n", name, got[name])
		}
		if err := os.WriteFile(goldenFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatalf("%v (make it with -update)", err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			name, hash, _ := strings.Cut(line, " ")
			want[name] = hash
		}
	}
	for _, name := range names {
		if want[name] == "" {
			t.Errorf("%s: no golden hash (rerun with -update)", name)
		} else if got[name] != want[name] {
			t.Errorf("%s on %s/%s: SHA-256 %s, golden %s", name, runtime.GOOS, runtime.GOARCH, got[name], want[name])
		}
	}
	if len(want) != len(names) {
		t.Errorf("%d golden hashes, %d data sets", len(want), len(names))
	}
	t.Logf("%d data sets checked on %s/%s", len(names), runtime.GOOS, runtime.GOARCH)
}

// fusedOrMathCall matches, in go tool objdump's arm64 output, a fused
// multiply-add instruction or a call into package math.
var fusedOrMathCall = regexp.MustCompile(`\b(FN?M(ADD|SUB)[SD]|VFML[AS])\b|CALL math\.`)

// TestNoFusedMultiplyAdd compiles this package for arm64 and checks that
// neither its code nor golang.org/x/image/vector's contains a fused
// multiply-add or calls the math package, which is what makes its output
// the same on arm64 as on amd64 (see detmath.go).
func TestNoFusedMultiplyAdd(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs the go command, which a wasm test cannot run")
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("checked from amd64 or arm64 hosts")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test needs the go command on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "synth.test")
	build := exec.Command(goCmd, "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOARCH=arm64", "GOOS=linux", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c for arm64: %v\n%s", err, out)
	}
	out, err := exec.Command(goCmd, "tool", "objdump", bin).Output()
	if err != nil {
		t.Fatalf("go tool objdump: %v", err)
	}
	var fn string
	var bad []string
	checked := 0
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "TEXT ") {
			fn = strings.Fields(line)[1]
			continue
		}
		ours := strings.HasPrefix(fn, "github.com/noise2norm/noise2norm/internal/synth.") || strings.HasPrefix(fn, "golang.org/x/image/vector.")
		fields := strings.Fields(line)
		if !ours || len(fields) == 0 || strings.Contains(fields[0], "_test.go:") {
			continue
		}
		checked++
		if fusedOrMathCall.MatchString(line) {
			bad = append(bad, fn+": "+strings.TrimSpace(line))
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d instructions of this package and vector found in the objdump; is the pattern still right?", checked)
	}
	if len(bad) > 0 {
		t.Errorf("%d fused multiply-adds or math calls in arm64 code:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	t.Logf("%d arm64 instructions of synth and vector checked", checked)
}

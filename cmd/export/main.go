// Command export writes a copy of a weights file for shipping: with -f16,
// every network parameter stored as float16 (half the bytes; the reader
// decodes it to float32 on load), the metadata kept, plus "stored_dtype":
// "F16". Calibration tensors (names starting with "calib.") stay float32:
// they are per-pixel statistics that every map is normalised with, small
// beside the network (2·S² values), so they keep full precision and the
// verdict at the threshold does not move with them. Without -f16 it writes
// a float32 copy (of a float16 file, for example) and drops "stored_dtype".
//
// Usage:
//
//	export [-f16] IN.safetensors OUT.safetensors
//
// IN must be a valid n2n-m weights file; OUT is written atomically and read
// back and validated before export reports success, with the sizes and the
// largest rounding error of the conversion.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// StoredDTypeKey is the metadata key that records the parameters' storage
// type in an exported file.
const StoredDTypeKey = "stored_dtype"

// calibPrefix starts the names of calibration tensors, which stay float32.
const calibPrefix = "calib."

// run is the whole command; it returns the exit status (0 success, 1
// failure, 2 usage error, 0 for -h).
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f16 := fs.Bool("f16", false, "store the network parameters as float16 (calibration tensors stay float32)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: export [-f16] IN.safetensors OUT.safetensors")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "export: want IN and OUT, got %d arguments (export -h for help)\n", fs.NArg())
		return 2
	}
	rep, err := export(fs.Arg(0), fs.Arg(1), *f16)
	if err != nil {
		fmt.Fprintf(stderr, "export: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, rep)
	return 0
}

// report describes an export.
type report struct {
	in, out         string
	inSize, outSize int64
	dtype           safetensors.DType
	converted, kept []string // tensor names stored as dtype, and kept float32
	maxAbs, maxRel  float64  // largest rounding error: absolute, and relative to values in F16's normal range
	maxAbsAt        string   // the tensor with the largest absolute error
	tiny            int      // values under F16's normal range (2⁻¹⁴), stored with less relative precision
	checkpoint      bool     // the input was a training checkpoint, its optimizer state left out
}

func (r *report) String() string {
	s := fmt.Sprintf("export: %s (%d bytes) -> %s (%d bytes, %.1f%%): %d tensors as %s",
		r.in, r.inSize, r.out, r.outSize, 100*float64(r.outSize)/float64(r.inSize), len(r.converted), r.dtype)
	if len(r.kept) > 0 && r.dtype != safetensors.F32 {
		s += fmt.Sprintf(", %d kept F32 (%s)", len(r.kept), strings.Join(r.kept, ", "))
	}
	if r.checkpoint {
		s += " (a training checkpoint: optimizer state left out)"
	}
	if r.dtype != safetensors.F32 {
		s += fmt.Sprintf("; largest rounding error %.3g (%s), relative %.3g (%d values under 2^-14 keep less)",
			r.maxAbs, r.maxAbsAt, r.maxRel, r.tiny)
	}
	return s
}

// storedAs is the dtype a tensor is written in when the network's
// parameters are stored as dtype.
func storedAs(name string, dtype safetensors.DType) safetensors.DType {
	if strings.HasPrefix(name, calibPrefix) {
		return safetensors.F32
	}
	return dtype
}

// export converts the weights file in to out as the package comment says.
// A training checkpoint is exported as its weights: the optimizer tensors
// and the run state's metadata (model.IsRunState) are left out.
func export(in, out string, f16 bool) (*report, error) {
	f, err := safetensors.ReadFile(in)
	if err != nil {
		return nil, err
	}
	w, err := model.FromSafetensors(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	dtype := safetensors.F32
	if f16 {
		dtype = safetensors.F16
	}
	outFile, err := w.File()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	meta := outFile.Metadata
	delete(meta, StoredDTypeKey)
	if dtype != safetensors.F32 {
		meta[StoredDTypeKey] = dtype.String()
	}
	rep := &report{in: in, out: out, dtype: dtype, checkpoint: w.Checkpoint}
	for name, t := range outFile.Tensors {
		t.DType = storedAs(name, dtype)
		outFile.Tensors[name] = t
		if t.DType == dtype {
			rep.converted = append(rep.converted, name)
		} else {
			rep.kept = append(rep.kept, name)
		}
	}
	slices.Sort(rep.converted)
	slices.Sort(rep.kept)
	if err := safetensors.WriteFile(out, outFile); err != nil {
		return nil, err
	}

	back, err := safetensors.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("reading back: %w", err)
	}
	if _, err := model.FromSafetensors(back); err != nil {
		return nil, fmt.Errorf("reading back %s: %w", out, err)
	}
	for _, name := range slices.Concat(rep.converted, rep.kept) {
		t := outFile.Tensors[name]
		for i, v := range t.Data {
			d := math.Abs(float64(back.Tensors[name].Data[i]) - float64(v))
			if d > rep.maxAbs {
				rep.maxAbs, rep.maxAbsAt = d, name
			}
			switch a := math.Abs(float64(v)); {
			case a >= 0x1p-14:
				rep.maxRel = max(rep.maxRel, d/a)
			case a > 0 && storedAs(name, dtype) != safetensors.F32:
				rep.tiny++
			}
		}
	}
	for _, p := range []struct {
		path string
		size *int64
	}{{in, &rep.inSize}, {out, &rep.outSize}} {
		info, err := os.Stat(p.path)
		if err != nil {
			return nil, err
		}
		*p.size = info.Size()
	}
	return rep, nil
}

package optest

import (
	"fmt"
	"math"
)

// Tolerance bounds how far an output may be from its reference:
// |ref − got| ≤ Atol + Rtol·|ref| elementwise, with Atol multiplied by the
// largest |ref| when ScaleAtol is set (outputs whose magnitude follows a
// scale factor), and where RelErr > 0 also the normalised error
// ‖got − ref‖₂/‖ref‖₂ ≤ RelErr (reductions, whose summation order differs
// between backends). Go tests (testutil.Close) and the browser self-test
// compare through Compare with it.
type Tolerance struct {
	Atol, Rtol float64
	ScaleAtol  bool
	RelErr     float64
}

// Exact is the tolerance of ops that only move values.
var Exact = Tolerance{}

// Diff is the outcome of comparing got with want under a Tolerance.
type Diff struct {
	N       int     // values compared
	Bad     int     // values out of tolerance (NaN counts as bad)
	First   int     // index of the first bad value, −1 if none
	WorstAt int     // index of the largest |want − got|
	Worst   float64 // that difference (+Inf for NaN)
	RelErr  float64 // ‖got − want‖₂/‖want‖₂ (‖got − want‖₂ when want is 0)
	Atol    float64 // the absolute tolerance applied (after ScaleAtol)
	Tol     Tolerance
	Got     []float32
	Want    []float32
}

// Compare compares got with want (the reference) under tol; got and want
// must have the same length.
func Compare(got, want []float32, tol Tolerance) Diff {
	if len(got) != len(want) {
		panic(fmt.Sprintf("optest: comparing %d values with %d", len(got), len(want)))
	}
	d := Diff{N: len(want), First: -1, Tol: tol, Got: got, Want: want, Atol: tol.Atol}
	if tol.ScaleAtol {
		d.Atol *= MaxAbs(want)
	}
	var num, den float64
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		diff := math.Abs(g - w)
		if math.IsNaN(diff) {
			diff = math.Inf(1)
		}
		if diff > d.Worst || i == 0 {
			d.Worst, d.WorstAt = diff, i
		}
		if !(diff <= d.Atol+tol.Rtol*math.Abs(w)) {
			if d.First < 0 {
				d.First = i
			}
			d.Bad++
		}
		num += (g - w) * (g - w)
		den += w * w
	}
	if den == 0 {
		d.RelErr = math.Sqrt(num)
	} else {
		d.RelErr = math.Sqrt(num / den)
	}
	return d
}

// OK reports whether every value is within tolerance and, where the
// tolerance bounds it, the normalised error is too.
func (d Diff) OK() bool {
	return d.Bad == 0 && !(d.Tol.RelErr > 0 && !(d.RelErr <= d.Tol.RelErr))
}

// Error describes what is out of tolerance, naming what was compared, the
// first bad index, both values, the count and the worst difference; it is
// empty when OK.
func (d Diff) Error(what string) string {
	var msg string
	if d.Bad > 0 {
		msg = fmt.Sprintf("%s: %d of %d values off (atol %g, rtol %g); first at %d: got %g want %g; worst |diff| %g at %d (got %g want %g)",
			what, d.Bad, d.N, d.Atol, d.Tol.Rtol, d.First, d.Got[d.First], d.Want[d.First], d.Worst, d.WorstAt, d.Got[d.WorstAt], d.Want[d.WorstAt])
	}
	if d.Tol.RelErr > 0 && !(d.RelErr <= d.Tol.RelErr) {
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("%s: normalised error %.3g > %g", what, d.RelErr, d.Tol.RelErr)
	}
	return msg
}

// MaxAbs is the largest |v[i]| (0 for an empty v).
func MaxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}

package optest

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// TestCompare checks the tolerance rule, NaN handling, ScaleAtol and the
// normalised-error bound.
func TestCompare(t *testing.T) {
	want := []float32{1, -2, 0, 4}
	for _, c := range []struct {
		name string
		got  []float32
		tol  Tolerance
		bad  int
		ok   bool
	}{
		{"equal", []float32{1, -2, 0, 4}, Exact, 0, true},
		{"within rtol", []float32{1.0001, -2, 0, 4.0003}, Tolerance{Rtol: 2e-4}, 0, true},
		{"past rtol", []float32{1.001, -2, 0, 4}, Tolerance{Rtol: 1e-4}, 1, false},
		{"NaN", []float32{float32(math.NaN()), -2, 0, 4}, Tolerance{Atol: 1}, 1, false},
		{"scaled atol", []float32{1, -2, 0.3, 4}, Tolerance{Atol: 0.1, ScaleAtol: true}, 0, true},
		{"normalised error", []float32{1, -2, 0.3, 4}, Tolerance{Atol: 1, RelErr: 1e-3}, 0, false},
	} {
		d := Compare(c.got, want, c.tol)
		if d.Bad != c.bad || d.OK() != c.ok {
			t.Errorf("%s: bad %d ok %v, want bad %d ok %v (%s)", c.name, d.Bad, d.OK(), c.bad, c.ok, d.Error(c.name))
		}
		if msg := d.Error(c.name); (msg == "") != c.ok || (msg != "" && !strings.HasPrefix(msg, c.name)) {
			t.Errorf("%s: message %q", c.name, msg)
		}
	}
}

// TestTableWellFormed checks that case names are unique, every case has
// inputs and a run, and every op of backend.Trainer has a case.
func TestTableWellFormed(t *testing.T) {
	seen := map[string]bool{}
	ops := map[string]bool{}
	for _, c := range Cases {
		if seen[c.Name] {
			t.Errorf("case %s appears twice", c.Name)
		}
		seen[c.Name] = true
		ops[c.Op] = true
		if len(c.In) == 0 || c.Run == nil || c.Op == "" {
			t.Errorf("case %q: no inputs, run or op", c.Name)
		}
		if c.Ref != nil && len(c.Ref.In) != len(c.In) {
			t.Errorf("case %s: %d reference inputs for %d inputs", c.Name, len(c.Ref.In), len(c.In))
		}
	}
	for _, ty := range []any{(*backend.Backend)(nil), (*backend.Trainer)(nil)} {
		for _, m := range methods(ty) {
			switch m {
			case "Name", "Upload", "Download", "Free":
				continue
			}
			if !ops[m] {
				t.Errorf("op %s has no case in the table", m)
			}
		}
	}
}

// methods lists the method names of the interface *ty points to.
func methods(ty any) []string {
	it := reflect.TypeOf(ty).Elem()
	var names []string
	for m := range it.Methods() {
		names = append(names, m.Name)
	}
	return names
}

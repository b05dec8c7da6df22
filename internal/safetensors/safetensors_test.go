package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// raw assembles a file image from a literal header (not padded) and data.
func raw(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// f32 encodes values as little-endian float32 bytes.
func f32(vals ...float32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vals)
	return b.Bytes()
}

func sample() *File {
	return &File{
		Metadata: map[string]string{"format": "n2n-m", "wf": "4", "quote\"<&>": "ünï"},
		Tensors: map[string]Tensor{
			"scalar":      {Shape: []int{}, Data: []float32{3.5}},
			"bias":        {Shape: []int{3}, Data: []float32{-1, 0, 1e-30}},
			"conv.weight": {Shape: []int{2, 1, 1, 2}, Data: []float32{1, 2, 3, 4}},
			"empty":       {Shape: []int{0, 5}, Data: []float32{}},
			"zf16":        {Shape: []int{3}, Data: []float32{0.5, -65504, 0x1p-24}, DType: F16},
			"zbf16":       {Shape: []int{1, 2}, Data: []float32{1.5, -0x1p100}, DType: BF16},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	want := sample()
	var buf bytes.Buffer
	if err := Write(&buf, want); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	header := string(b[8 : 8+n])
	if strings.TrimRight(header, " ") != strings.TrimSpace(header) || !strings.HasPrefix(header, `{"__metadata__":`) {
		t.Errorf("header %q: want metadata first and space padding at the end only", header)
	}
	// Tensors are laid out sorted by name, contiguously.
	var h map[string]json.RawMessage
	if err := json.Unmarshal([]byte(header), &h); err != nil {
		t.Fatal(err)
	}
	var pos int64
	for _, name := range []string{"bias", "conv.weight", "empty", "scalar", "zbf16", "zf16"} {
		var e headerEntry
		if err := json.Unmarshal(h[name], &e); err != nil {
			t.Fatal(err)
		}
		if e.DataOffsets[0] != pos {
			t.Errorf("tensor %q begins at %d, want %d", name, e.DataOffsets[0], pos)
		}
		pos = e.DataOffsets[1]
	}
	if int64(len(b))-8-int64(n) != pos {
		t.Errorf("data is %d bytes, tensors end at %d", int64(len(b))-8-int64(n), pos)
	}

	got, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := WriteFile(path, sample()); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := &File{Tensors: map[string]Tensor{"x": {Shape: []int{2}, Data: []float32{1, float32(math.NaN())}}}}
	err = WriteFile(path, bad)
	if err == nil || !strings.Contains(err.Error(), `tensor "x"`) || !strings.Contains(err.Error(), "index 1") {
		t.Fatalf("writing a NaN: got error %v, want one naming tensor \"x\" and index 1", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed WriteFile changed the existing file")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1 (temp file left?)", len(entries))
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Errorf("ReadFile after WriteFile: got %+v", got)
	}
}

func TestWriteRefuses(t *testing.T) {
	cases := []struct {
		name string
		f    *File
		want []string
	}{
		{"shape mismatch", &File{Tensors: map[string]Tensor{"a": {Shape: []int{2, 2}, Data: []float32{1, 2, 3}}}},
			[]string{`tensor "a"`, "[2 2]", "needs 4 values, have 3"}},
		{"negative dim", &File{Tensors: map[string]Tensor{"a": {Shape: []int{-1}, Data: nil}}},
			[]string{`tensor "a"`, "negative"}},
		{"reserved name", &File{Tensors: map[string]Tensor{"__metadata__": {Shape: []int{}, Data: []float32{0}}}},
			[]string{"__metadata__"}},
		{"inf", &File{Tensors: map[string]Tensor{"a": {Shape: []int{1}, Data: []float32{float32(math.Inf(-1))}}}},
			[]string{`tensor "a"`, "-Inf", "index 0"}},
		{"F16 overflow", &File{Tensors: map[string]Tensor{"a": {Shape: []int{2}, Data: []float32{65504, -65520}, DType: F16}}},
			[]string{`tensor "a"`, "-65520", "index 1", "overflows F16"}},
		{"BF16 overflow", &File{Tensors: map[string]Tensor{"a": {Shape: []int{1}, Data: []float32{math.MaxFloat32}, DType: BF16}}},
			[]string{`tensor "a"`, "index 0", "overflows BF16"}},
		{"unknown dtype", &File{Tensors: map[string]Tensor{"a": {Shape: []int{1}, Data: []float32{1}, DType: 7}}},
			[]string{`tensor "a"`, "unknown dtype DType(7)"}},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		err := Write(&buf, c.f)
		checkErr(t, c.name, err, c.want)
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before refusing", c.name, buf.Len())
		}
	}
}

// checkErr requires err to be non-nil and to mention every string in want.
func checkErr(t *testing.T, name string, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", name, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not mention %q", name, err, w)
		}
	}
}

// refusals are malformed files and what the reader's error must mention.
var refusals = []struct {
	name string
	file []byte
	want []string
}{
	{"short file", []byte{1, 2, 3}, []string{"3 bytes", "shorter than the 8-byte header length"}},
	{"header past file", raw(`{}`, nil)[:9], []string{"header length 2", "exceeds the 1 bytes"}},
	{"absurd header", append(binary.LittleEndian.AppendUint64(nil, 1<<40), "{}"...),
		[]string{"header length 1099511627776", "limit"}},
	{"invalid JSON", raw(`{"a": `, nil), []string{"invalid JSON header"}},
	{"not an object", raw(`[1, 2]`, nil), []string{"invalid JSON header", "want"}},
	{"trailing data", raw(`{} {}`, nil), []string{"after the closing brace"}},
	{"duplicate", raw(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, f32(1)),
		[]string{`"a" appears twice`}},
	{"unknown field", raw(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"extra":1}}`, f32(1)),
		[]string{`tensor "a"`, "extra"}},
	{"I8", raw(`{"head.weight":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}`, f32(1)),
		[]string{`tensor "head.weight": dtype I8, want F32, F16 or BF16`}},
	{"F16 shape vs offsets", raw(`{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}}`, f32(1)),
		[]string{`tensor "a"`, "[3]", "3 F16 values = 6 bytes", "hold 4"}},
	{"F16 Inf", raw(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, []byte{0, 0x3c, 0, 0xfc}),
		[]string{`tensor "a"`, "F16 value -Inf", "flat index 1"}},
	{"F16 NaN", raw(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, []byte{0x01, 0x7c, 0, 0}),
		[]string{`tensor "a"`, "F16 value NaN", "flat index 0"}},
	{"BF16 Inf", raw(`{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, []byte{0x80, 0x3f, 0x80, 0x7f}),
		[]string{`tensor "a"`, "BF16 value +Inf", "flat index 1"}},
	{"BF16 NaN", raw(`{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, []byte{0xc1, 0xff}),
		[]string{`tensor "a"`, "BF16 value NaN", "flat index 0"}},
	{"no shape", raw(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, f32(1)), []string{`tensor "a": no shape`}},
	{"fractional dim", raw(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, f32(1)),
		[]string{`tensor "a"`, "invalid header entry"}},
	{"negative dim", raw(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32(1)),
		[]string{`tensor "a"`, "negative dimension"}},
	{"shape vs offsets", raw(`{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}`, f32(1, 2, 3)),
		[]string{`tensor "a"`, "[2 2]", "16 bytes", "[0, 12]", "hold 12"}},
	{"huge shape", raw(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, f32(1)),
		[]string{`tensor "a"`, "overflows"}},
	{"three offsets", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, f32(1)),
		[]string{`tensor "a"`, "want [begin, end]"}},
	{"reversed offsets", raw(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, f32(1)),
		[]string{`tensor "a"`, "not a range"}},
	{"past the data", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(1)),
		[]string{`tensor "b"`, "[4, 8]", "past the 4 bytes", "truncated"}},
	{"truncated", raw(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, f32(1, 2)[:7]),
		[]string{`tensor "a"`, "[0, 12]", "past the 7 bytes"}},
	{"overlap", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(1, 2)),
		[]string{`tensor "b"`, `overlap tensor "a"`}},
	{"gap", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32(1, 2, 3)),
		[]string{`tensor "b"`, "bytes [4, 8)", `after tensor "a" unused`}},
	{"gap at start", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(1, 2)),
		[]string{`tensor "a"`, "bytes [0, 4)", "start of the data"}},
	{"uncovered tail", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1, 2)),
		[]string{"data is 8 bytes", "cover only [0, 4)"}},
	{"NaN", raw(`{"ok":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}`,
		f32(0, 1, 2, float32(math.NaN()))), []string{`tensor "w"`, "NaN", "flat index 2"}},
	{"Inf", raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32(float32(math.Inf(1)), 0)),
		[]string{`tensor "w"`, "+Inf", "flat index 0"}},
	{"numeric metadata", raw(`{"__metadata__":{"wf":32}}`, nil), []string{"__metadata__", `"wf"`, "32", "not a string"}},
	{"metadata not an object", raw(`{"__metadata__":"x"}`, nil), []string{"__metadata__", "want an object"}},
}

func TestReadRefuses(t *testing.T) {
	for _, c := range refusals {
		_, err := Read(bytes.NewReader(c.file))
		checkErr(t, c.name, err, c.want)
	}
}

func TestReadFileNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, raw(`{"head.weight":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}`, f32(1, 2, 3, 4)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	checkErr(t, "ReadFile", err, []string{path, `tensor "head.weight": dtype F64, want F32, F16 or BF16`})
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing.safetensors"))
	checkErr(t, "missing file", err, []string{"missing.safetensors"})
}

// FuzzRead checks that Read never panics, and that whatever it accepts
// survives a Write/Read round trip unchanged.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, sample()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, c := range refusals {
		f.Add(c.file)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, got); err != nil {
			t.Fatalf("Write of what Read accepted: %v", err)
		}
		again, err := Read(&out)
		if err != nil {
			t.Fatalf("Read of what Write wrote: %v", err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("round trip changed the file:\n got %+v\nwant %+v", again, got)
		}
	})
}

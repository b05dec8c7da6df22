// Package safetensors reads and writes the safetensors format restricted to
// floating-point tensors (F32, and F16 or BF16 decoded to float32): an 8-byte little-endian header length N, N bytes of JSON
// header mapping each tensor name to {"dtype", "shape", "data_offsets"} (plus
// an optional "__metadata__" object of strings), then the raw little-endian
// tensor data, offsets counted from the start of that data.
//
// The reader trusts nothing in the file: every inconsistency (lengths, JSON,
// dtypes, shapes, offsets, non-finite values) is refused with an error that
// names the file, the tensor and what was expected.
package safetensors

import (
	"fmt"
	"io"
	"os"
)

// MaxHeaderLen is the largest JSON header the reader accepts (100 MiB), far
// above any real file's, so that a corrupt length cannot make it allocate
// without bound.
const MaxHeaderLen = 100 << 20

// metadataKey is the reserved header entry holding the string metadata.
const metadataKey = "__metadata__"

// Tensor is a float32 tensor in C (row-major) order: Data holds the product
// of Shape values (1 for a 0-d tensor, whose Shape is empty). DType is how
// the values are (Read) or are to be (Write) stored in the file; the zero
// value is F32.
type Tensor struct {
	Shape []int
	Data  []float32
	DType DType
}

// File is the content of a safetensors file: its string metadata and its
// tensors by name.
type File struct {
	Metadata map[string]string
	Tensors  map[string]Tensor
}

// Read parses a whole safetensors stream from r.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// ReadFile parses the safetensors file at path; errors name the path.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

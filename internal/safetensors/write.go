package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/noise2norm/noise2norm/internal/atomicfile"
)

// Write encodes f: "__metadata__" first (omitted when f has no metadata),
// then the tensors sorted by name with contiguous data in that order, each
// in its DType (F16 and BF16 rounded to nearest, ties to even), the header
// padded with spaces to a multiple of 8 bytes as the reference
// implementation does. It refuses, before writing anything, what Read would
// refuse: a shape that does not match the data length, a negative dimension,
// a tensor named "__metadata__", an unknown DType, NaN or ±Inf values, and
// values that overflow their DType (above 65504 in magnitude for F16).
func Write(w io.Writer, f *File) error {
	header, names, err := encodeHeader(f)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	bw := bufio.NewWriter(w)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	bw.Write(n[:])
	bw.Write(header)
	var buf [4]byte
	for _, name := range names {
		t := f.Tensors[name]
		for _, v := range t.Data {
			switch t.DType {
			case F32:
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				bw.Write(buf[:4])
			case F16:
				h, _ := float32ToFloat16(v) // checked by encodeHeader
				binary.LittleEndian.PutUint16(buf[:], h)
				bw.Write(buf[:2])
			case BF16:
				h, _ := float32ToBfloat16(v) // checked by encodeHeader
				binary.LittleEndian.PutUint16(buf[:], h)
				bw.Write(buf[:2])
			}
		}
	}
	// bufio.Writer keeps the first error and returns it from Flush.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteFile writes f to path atomically: into a temporary file in the same
// directory, synced and closed, then renamed over path. On any error the old
// file at path is untouched and the temporary file is removed.
func WriteFile(path string, f *File) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return Write(w, f) }); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// encodeHeader validates f and returns the padded JSON header and the tensor
// names in data order.
func encodeHeader(f *File) ([]byte, []string, error) {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	slices.Sort(names)

	var h bytes.Buffer
	h.WriteByte('{')
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		h.WriteString(jsonString(metadataKey) + ":{")
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(jsonString(k) + ":" + jsonString(f.Metadata[k]))
		}
		h.WriteByte('}')
	}
	var offset int64
	for i, name := range names {
		t := f.Tensors[name]
		if err := checkTensor(name, t); err != nil {
			return nil, nil, err
		}
		if i > 0 || len(f.Metadata) > 0 {
			h.WriteByte(',')
		}
		shape := make([]string, len(t.Shape))
		for j, d := range t.Shape {
			shape[j] = strconv.Itoa(d)
		}
		end := offset + t.DType.size()*int64(len(t.Data))
		fmt.Fprintf(&h, `%s:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}`,
			jsonString(name), t.DType, strings.Join(shape, ","), offset, end)
		offset = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderLen {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the %d-byte limit", h.Len(), MaxHeaderLen)
	}
	return h.Bytes(), names, nil
}

// checkTensor refuses a tensor that Read would refuse.
func checkTensor(name string, t Tensor) error {
	if name == metadataKey {
		return errors.New("a tensor may not be named " + metadataKey)
	}
	if _, ok := parseDType(t.DType.String()); !ok {
		return fmt.Errorf("tensor %q: unknown dtype %s", name, t.DType)
	}
	count := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: shape %v has a negative dimension", name, t.Shape)
		}
		if d != 0 && count > math.MaxInt/d {
			return fmt.Errorf("tensor %q: shape %v overflows", name, t.Shape)
		}
		count *= d
	}
	if count != len(t.Data) {
		return fmt.Errorf("tensor %q: shape %v needs %d values, have %d", name, t.Shape, count, len(t.Data))
	}
	for i, v := range t.Data {
		if v != v || math.IsInf(float64(v), 0) {
			return fmt.Errorf("tensor %q: value %v at flat index %d", name, v, i)
		}
		var ok bool
		switch t.DType {
		case F32:
			ok = true
		case F16:
			_, ok = float32ToFloat16(v)
		case BF16:
			_, ok = float32ToBfloat16(v)
		}
		if !ok {
			return fmt.Errorf("tensor %q: value %v at flat index %d overflows %s", name, v, i, t.DType)
		}
	}
	return nil
}

// jsonString returns s as a JSON string literal, without HTML escaping.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

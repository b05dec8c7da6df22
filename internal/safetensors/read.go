package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// headerEntry is one tensor's description in the JSON header.
type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// span is a tensor's validated byte range within the data section.
type span struct {
	name       string
	begin, end int64
}

// parse decodes a complete file image b.
func parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, MaxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after the length field", n, len(b)-8)
	}
	header, data := b[8:8+n], b[8+n:]

	entries, meta, err := decodeHeader(header)
	if err != nil {
		return nil, err
	}
	spans := make([]span, 0, len(entries))
	shapes := make(map[string][]int, len(entries))
	dtypes := make(map[string]DType, len(entries))
	for name, e := range entries {
		shape, dtype, err := checkEntry(name, e)
		if err != nil {
			return nil, err
		}
		shapes[name], dtypes[name] = shape, dtype
		spans = append(spans, span{name, e.DataOffsets[0], e.DataOffsets[1]})
	}
	if err := checkCoverage(spans, int64(len(data))); err != nil {
		return nil, err
	}

	f := &File{Metadata: meta, Tensors: make(map[string]Tensor, len(spans))}
	for _, s := range spans {
		vals, err := decodeValues(s.name, dtypes[s.name], data[s.begin:s.end])
		if err != nil {
			return nil, err
		}
		f.Tensors[s.name] = Tensor{Shape: shapes[s.name], Data: vals, DType: dtypes[s.name]}
	}
	return f, nil
}

// decodeHeader splits the JSON header into tensor entries and metadata,
// refusing duplicate names, unknown entry fields and trailing garbage.
func decodeHeader(header []byte) (map[string]headerEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, err
	}
	entries := map[string]headerEntry{}
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("invalid JSON header: %w", err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, fmt.Errorf("invalid header: %q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("invalid JSON header at %q: %w", name, err)
		}
		if name == metadataKey {
			if meta, err = decodeMetadata(raw); err != nil {
				return nil, nil, err
			}
			continue
		}
		var e headerEntry
		ed := json.NewDecoder(bytes.NewReader(raw))
		ed.DisallowUnknownFields()
		if err := ed.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: invalid header entry %s: %w", name, raw, err)
		}
		entries[name] = e
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("invalid JSON header: data after the closing brace")
	}
	return entries, meta, nil
}

// expectDelim reads the next JSON token and requires it to be d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid JSON header: %w", err)
	}
	if tok != d {
		return fmt.Errorf("invalid JSON header: got %v, want %q", tok, d)
	}
	return nil
}

// decodeMetadata decodes the "__metadata__" object, whose values must all be
// strings.
func decodeMetadata(raw json.RawMessage) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%s: want an object of strings, got %s", metadataKey, raw)
	}
	meta := make(map[string]string, len(m))
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("%s key %q: value %s is not a string", metadataKey, k, v)
		}
		meta[k] = s
	}
	return meta, nil
}

// checkEntry validates one tensor's dtype, shape and offsets against each
// other and returns its shape as ints and its dtype.
func checkEntry(name string, e headerEntry) ([]int, DType, error) {
	dtype, ok := parseDType(e.DType)
	if !ok {
		return nil, 0, fmt.Errorf("tensor %q: dtype %s, want F32, F16 or BF16", name, e.DType)
	}
	if e.Shape == nil {
		return nil, 0, fmt.Errorf("tensor %q: no shape", name)
	}
	if len(e.DataOffsets) != 2 {
		return nil, 0, fmt.Errorf("tensor %q: data_offsets %v, want [begin, end]", name, e.DataOffsets)
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin {
		return nil, 0, fmt.Errorf("tensor %q: data_offsets [%d, %d] are not a range", name, begin, end)
	}
	shape := make([]int, len(e.Shape))
	count := int64(1)
	for i, d := range e.Shape {
		if d < 0 {
			return nil, 0, fmt.Errorf("tensor %q: shape %v has a negative dimension", name, e.Shape)
		}
		if d != 0 && count > math.MaxInt64/4/d {
			return nil, 0, fmt.Errorf("tensor %q: shape %v overflows a byte count", name, e.Shape)
		}
		count *= d
		shape[i] = int(d)
	}
	if count*dtype.size() != end-begin {
		return nil, 0, fmt.Errorf("tensor %q: shape %v is %d %s values = %d bytes, data_offsets [%d, %d] hold %d",
			name, e.Shape, count, dtype, count*dtype.size(), begin, end, end-begin)
	}
	return shape, dtype, nil
}

// checkCoverage requires the tensors' byte ranges to tile the data section
// exactly: starting at 0, without gaps or overlaps, ending at its length.
func checkCoverage(spans []span, size int64) error {
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), strings.Compare(a.name, b.name))
	})
	var pos int64
	prev := "the start of the data"
	for _, s := range spans {
		if s.end > size {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d bytes of data (file truncated?)",
				s.name, s.begin, s.end, size)
		}
		if s.begin < pos {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap %s (ends at %d)", s.name, s.begin, s.end, prev, pos)
		}
		if s.begin > pos {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave bytes [%d, %d) after %s unused",
				s.name, s.begin, s.end, pos, s.begin, prev)
		}
		pos = s.end
		prev = fmt.Sprintf("tensor %q", s.name)
	}
	if pos != size {
		return fmt.Errorf("data is %d bytes but the tensors cover only [0, %d)", size, pos)
	}
	return nil
}

// decodeValues converts little-endian values of dtype to float32, refusing
// NaN and ±Inf.
func decodeValues(name string, dtype DType, b []byte) ([]float32, error) {
	vals := make([]float32, int64(len(b))/dtype.size())
	for i := range vals {
		var v float32
		ok := true
		switch dtype {
		case F32:
			v = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			ok = v == v && !math.IsInf(float64(v), 0)
		case F16:
			v, ok = float16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		case BF16:
			v, ok = bfloat16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
		if !ok {
			return nil, fmt.Errorf("tensor %q: %s value %s at flat index %d", name, dtype, nonFinite(dtype, b, i), i)
		}
		vals[i] = v
	}
	return vals, nil
}

// nonFinite names the NaN or ±Inf stored at index i of b.
func nonFinite(dtype DType, b []byte, i int) string {
	var v float64
	switch dtype {
	case F32:
		v = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	default:
		h := binary.LittleEndian.Uint16(b[2*i:])
		mantissa := h & 0x3ff
		if dtype == BF16 {
			mantissa = h & 0x7f
		}
		v = math.Inf(1 - 2*int(h>>15))
		if mantissa != 0 {
			v = math.NaN()
		}
	}
	return fmt.Sprint(v)
}

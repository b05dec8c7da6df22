package imageio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// WriteNPY writes data as a NumPy .npy file (format version 1.0, dtype '<f4',
// C order) of the given shape, atomically (see WritePNG). The header is the
// one numpy.save writes (NumPy ≥ 1.22): the dict repr with keys sorted,
// spare spaces for growing the first axis, padded so that the data starts at
// a multiple of 64 bytes. It refuses a shape whose product is not len(data).
func WriteNPY(path string, shape []int, data []float32) error {
	count := 1
	dims := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			return fmt.Errorf("imageio: %s: shape %v has a negative dimension", path, shape)
		}
		count *= d
		dims[i] = strconv.Itoa(d)
	}
	if count != len(data) {
		return fmt.Errorf("imageio: %s: shape %v needs %d values, have %d", path, shape, count, len(data))
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(dims) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	header := "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple + ", }"
	if len(dims) > 0 {
		header += strings.Repeat(" ", 21-len(dims[0]))
	}
	// numpy pads with 1 to 64 spaces before the final newline.
	hlen := len(header) + 1
	pad := 64 - (len(npyMagic)+4+hlen)%64
	header += strings.Repeat(" ", pad) + "\n"

	return writeAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(npyMagic)
		bw.Write([]byte{1, 0})
		binary.Write(bw, binary.LittleEndian, uint16(len(header)))
		bw.WriteString(header)
		var buf [4]byte
		for _, v := range data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			bw.Write(buf[:])
		}
		return bw.Flush() // bufio.Writer keeps its first error for Flush
	})
}

// npyHeader matches the three entries of a .npy header dict.
var (
	npyDescr   = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// ReadNPY reads a .npy file (format version 1.0 or 2.0) of little-endian
// float32 in C order, returning its shape and data; any other dtype or order
// is refused.
func ReadNPY(path string) (shape []int, data []float32, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("imageio: %w", err)
	}
	shape, data, err = parseNPY(b)
	if err != nil {
		return nil, nil, fmt.Errorf("imageio: %s: %w", path, err)
	}
	return shape, data, nil
}

// parseNPY decodes a whole .npy file image.
func parseNPY(b []byte) ([]int, []float32, error) {
	if len(b) < 10 || !bytes.HasPrefix(b, []byte(npyMagic)) {
		return nil, nil, errors.New("not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2:
		if len(b) < 12 {
			return nil, nil, errors.New("truncated .npy header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return nil, nil, fmt.Errorf(".npy format version %d.%d, want 1.0 or 2.0", b[6], b[7])
	}
	if hlen > len(b)-start {
		return nil, nil, fmt.Errorf("header of %d bytes runs past the end of the file", hlen)
	}
	header := string(b[start : start+hlen])
	payload := b[start+hlen:]

	descr, fortran, dims := npyDescr.FindStringSubmatch(header), npyFortran.FindStringSubmatch(header), npyShape.FindStringSubmatch(header)
	if descr == nil || fortran == nil || dims == nil {
		return nil, nil, fmt.Errorf("header %q lacks descr, fortran_order or shape", header)
	}
	if descr[1] != "<f4" {
		return nil, nil, fmt.Errorf("dtype %s, want <f4", descr[1])
	}
	if fortran[1] != "False" {
		return nil, nil, errors.New("array in Fortran order, want C order")
	}
	shape := []int{}
	count := 1
	for _, f := range strings.Split(dims[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 || (d > 0 && count > len(payload)/4/d) {
			return nil, nil, fmt.Errorf("shape (%s) does not fit the %d data bytes", dims[1], len(payload))
		}
		shape = append(shape, d)
		count *= d
	}
	if count*4 != len(payload) {
		return nil, nil, fmt.Errorf("shape %v needs %d data bytes, file has %d", shape, count*4, len(payload))
	}
	data := make([]float32, count)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
	}
	return shape, data, nil
}

package safetensors

import (
	"fmt"
	"math"
)

// DType is how a tensor's values are stored in the file. In memory they are
// float32 whatever the storage: F16 and BF16 values are decoded exactly to
// float32 on reading, and rounded to nearest (ties to even) on writing.
type DType uint8

const (
	F32  DType = iota // IEEE 754 binary32; the zero value
	F16               // IEEE 754 binary16: 11-bit significand, largest finite 65504
	BF16              // bfloat16: binary32's exponent range, 8-bit significand
)

// String returns the dtype's name in the safetensors header.
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// size is the number of bytes of one stored value.
func (d DType) size() int64 {
	if d == F32 {
		return 4
	}
	return 2
}

// parseDType maps a header dtype name to a DType.
func parseDType(s string) (DType, bool) {
	switch s {
	case "F32":
		return F32, true
	case "F16":
		return F16, true
	case "BF16":
		return BF16, true
	}
	return 0, false
}

// float16ToFloat32 decodes binary16 bits exactly; ok is false for ±Inf and
// NaN.
func float16ToFloat32(h uint16) (v float32, ok bool) {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0x1f:
		return 0, false
	case 0: // zero or subnormal: mant·2⁻²⁴, exact in float32
		v = float32(math.Ldexp(float64(mant), -24))
		return math.Float32frombits(math.Float32bits(v) | sign), true
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13), true
}

// float32ToFloat16 rounds v to the nearest binary16, ties to even; values
// that round to zero keep their sign. ok is false for NaN, ±Inf and values
// whose rounding exceeds 65504.
func float32ToFloat16(v float32) (h uint16, ok bool) {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		return 0, false
	}
	if e := exp - 127 + 15; e > 0 { // a normal binary16, unless rounding overflows
		if e >= 0x1f {
			return 0, false
		}
		r := uint32(e)<<10 | mant>>13
		if dropped := mant & 0x1fff; dropped > 0x1000 || (dropped == 0x1000 && r&1 == 1) {
			r++ // a carry out of the significand moves to the next exponent, as it should
		}
		if r >= 0x7c00 {
			return 0, false
		}
		return sign | uint16(r), true
	}
	// A binary16 subnormal k·2⁻²⁴ (or zero): v = m·2^(exp−150) with the
	// implicit bit in m, so k = m·2^(exp−126), a right shift by 126−exp ≥ 14.
	if exp == 0 { // a float32 subnormal is below 2⁻¹²⁶, far under half of 2⁻²⁴
		return sign, true
	}
	m := mant | 1<<23
	shift := uint(126 - exp)
	if shift > 24 { // m < 2²⁴ ≤ half of 2^shift: rounds to zero
		return sign, true
	}
	k := m >> shift
	rem, half := m&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || (rem == half && k&1 == 1) {
		k++ // k = 0x400 is the smallest normal, encoded the same way
	}
	return sign | uint16(k), true
}

// bfloat16ToFloat32 decodes bfloat16 bits exactly; ok is false for ±Inf and
// NaN.
func bfloat16ToFloat32(h uint16) (v float32, ok bool) {
	if h&0x7f80 == 0x7f80 {
		return 0, false
	}
	return math.Float32frombits(uint32(h) << 16), true
}

// float32ToBfloat16 rounds v to the nearest bfloat16, ties to even. ok is
// false for NaN, ±Inf and values whose rounding overflows.
func float32ToBfloat16(v float32) (h uint16, ok bool) {
	b := math.Float32bits(v)
	if b&0x7f800000 == 0x7f800000 {
		return 0, false
	}
	b += 0x7fff + (b>>16)&1
	if b&0x7f800000 == 0x7f800000 {
		return 0, false
	}
	return uint16(b >> 16), true
}

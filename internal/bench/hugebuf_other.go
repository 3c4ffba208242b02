//go:build !linux

package bench

// hugeFloats is a plain heap slice off Linux (see hugebuf_linux.go).
func hugeFloats(n int) ([]float32, func()) { return make([]float32, n), func() {} }

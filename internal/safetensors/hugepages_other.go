//go:build unix && !linux

package safetensors

// adviseHugePages does nothing off Linux (see hugepages_linux.go).
func adviseHugePages([]byte) {}

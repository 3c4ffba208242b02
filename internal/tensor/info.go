package tensor

// KernelSet names the implementation of the hot loops this process runs:
// "avx512", "avx2" or "go" (portable), decided once from the CPU's features
// and a self-check. It is what /admin/hardware and the start-up log report.
func KernelSet() string { return activeKernels().isa.String() }

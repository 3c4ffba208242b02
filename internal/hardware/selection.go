package hardware

import (
	"fmt"
	"slices"
)

// DefaultPreference returns the seed's backend order, cuda > rocm > mps >
// openvino > qnn > cpu: the first backend that is both present and built in
// wins.
func DefaultPreference() []string { return []string{"cuda", "rocm", "mps", "openvino", "qnn", "cpu"} }

// BuiltBackends lists the backends this binary can run models on. Today that
// is the native CPU engine only; accelerated backends will add themselves
// here behind build tags.
func BuiltBackends() []string { return []string{"cpu"} }

// BackendStatus says, for one backend, whether the machine has it and whether
// this build can use it.
type BackendStatus struct {
	Name    string `json:"name"`
	Present bool   `json:"present"` // the machine has the device
	Built   bool   `json:"built"`   // this binary has a backend for it
	Note    string `json:"note,omitempty"`
}

// Selection is the outcome of choosing a backend.
type Selection struct {
	Backend  string          `json:"backend"`
	Backends []BackendStatus `json:"backends"` // in preference order
}

// Select picks the first backend in preference that is present and built.
// An accelerator that is present without a backend in this build is reported
// as such, never silently used or hidden. The CPU is always present.
func Select(preference []string, accels []Accelerator, built []string) (Selection, error) {
	if len(preference) == 0 {
		preference = DefaultPreference()
	}
	present := map[string]bool{"cpu": true}
	for _, a := range accels {
		present[a.Kind] = true
	}
	isBuilt := map[string]bool{}
	for _, b := range built {
		isBuilt[b] = true
	}
	var sel Selection
	for _, name := range preference {
		if !slices.Contains(DefaultPreference(), name) {
			return Selection{}, fmt.Errorf("hardware: unknown backend %q in preference (known: %v)", name, DefaultPreference())
		}
		st := BackendStatus{Name: name, Present: present[name], Built: isBuilt[name]}
		switch {
		case st.Present && !st.Built:
			st.Note = "present, no backend in this build"
		case st.Present && st.Built && sel.Backend == "":
			sel.Backend = name
			st.Note = "selected"
		}
		sel.Backends = append(sel.Backends, st)
	}
	if sel.Backend == "" {
		return sel, fmt.Errorf("hardware: none of the preferred backends %v is both present and built (built: %v)", preference, built)
	}
	return sel, nil
}

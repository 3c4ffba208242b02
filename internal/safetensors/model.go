package safetensors

import (
	"errors"
	"fmt"
	"sort"
)

// Model is a model folder's weights, one file or several shards, all mapped.
// Its methods are safe for concurrent use; tensors taken from it are valid
// until Close.
type Model struct {
	dir    string
	files  []*File
	byName map[string]*File
	names  []string
}

// OpenModel maps the weights of the model folder dir: model.safetensors if
// present, else the shards listed by model.safetensors.index.json (every
// shard must exist and hold every tensor the index places in it), else a lone
// *.safetensors file. When none is found the error names what was looked for
// and wraps ErrNoWeights.
func OpenModel(dir string) (*Model, error) {
	l, err := discover(dir)
	if err != nil {
		return nil, err
	}
	m := &Model{dir: dir, byName: make(map[string]*File)}
	byPath := make(map[string]*File, len(l.files))
	headers := make(map[string]*Header, len(l.files))
	for _, p := range l.files {
		f, err := Open(p)
		if err != nil {
			_ = m.Close()
			return nil, err
		}
		m.files = append(m.files, f)
		byPath[p] = f
		headers[p] = f.Header()
	}
	if l.weightMap == nil {
		for _, t := range m.files[0].Header().Tensors {
			m.byName[t.Name] = m.files[0]
		}
	} else {
		if err := checkWeightMap(l.weightMap, headers); err != nil {
			_ = m.Close()
			return nil, err
		}
		for name, p := range l.weightMap {
			m.byName[name] = byPath[p]
		}
	}
	m.names = make([]string, 0, len(m.byName))
	for name := range m.byName {
		m.names = append(m.names, name)
	}
	sort.Strings(m.names)
	return m, nil
}

// Dir returns the folder the model was opened from.
func (m *Model) Dir() string { return m.dir }

// Files returns the model's open files, sorted by path.
func (m *Model) Files() []*File { return append([]*File(nil), m.files...) }

// Names returns every tensor name, sorted. For a sharded model these are the
// names of the index's weight_map.
func (m *Model) Names() []string { return append([]string(nil), m.names...) }

// Lookup returns the header entry of the tensor called name.
func (m *Model) Lookup(name string) (TensorInfo, bool) {
	f, ok := m.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Header().Lookup(name)
}

// Tensor returns the tensor called name, aliasing its file's mapping.
func (m *Model) Tensor(name string) (Tensor, error) {
	f, ok := m.byName[name]
	if !ok {
		return Tensor{}, fmt.Errorf("safetensors: model %s: %q: %w", m.dir, name, ErrTensorNotFound)
	}
	return f.Tensor(name)
}

// Close unmaps every file. It is idempotent.
func (m *Model) Close() error {
	var errs []error
	for _, f := range m.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

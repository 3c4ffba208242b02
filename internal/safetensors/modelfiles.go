package safetensors

// FileHeader is one weight file's header, read without mapping its data.
type FileHeader struct {
	// Path is the file's path.
	Path string
	// Size is the file's size in bytes.
	Size int64
	// Header is the file's validated header.
	Header *Header
}

// ModelFiles holds the headers of a model folder's weight files, enough to
// describe a model (parameter count, dtypes, size) without loading it.
type ModelFiles struct {
	// Dir is the model folder.
	Dir string
	// Files lists the weight files, sorted by path.
	Files []FileHeader
	// Sharded reports whether the weights came from an index.
	Sharded bool
}

// ReadModelHeaders reads the headers of every weight file of dir, found as
// OpenModel finds them and checked as OpenModel checks them, reading no
// tensor data.
func ReadModelHeaders(dir string) (*ModelFiles, error) {
	l, err := discover(dir)
	if err != nil {
		return nil, err
	}
	mf := &ModelFiles{Dir: dir, Sharded: l.weightMap != nil}
	headers := make(map[string]*Header, len(l.files))
	for _, p := range l.files {
		h, size, err := readHeaderFile(p)
		if err != nil {
			return nil, err
		}
		mf.Files = append(mf.Files, FileHeader{Path: p, Size: size, Header: h})
		headers[p] = h
	}
	if l.weightMap != nil {
		if err := checkWeightMap(l.weightMap, headers); err != nil {
			return nil, err
		}
	}
	return mf, nil
}

// ParamCount returns the number of elements of all tensors of all files.
func (m *ModelFiles) ParamCount() int64 {
	var n int64
	for _, f := range m.Files {
		for _, t := range f.Header.Tensors {
			n += t.NumElements()
		}
	}
	return n
}

// DTypeCounts returns the number of elements stored in each dtype.
func (m *ModelFiles) DTypeCounts() map[DType]int64 {
	counts := make(map[DType]int64)
	for _, f := range m.Files {
		for _, t := range f.Header.Tensors {
			counts[t.DType] += t.NumElements()
		}
	}
	return counts
}

// TotalBytes returns the size on disk of all weight files, headers included.
func (m *ModelFiles) TotalBytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// TensorBytes returns the bytes of tensor data of all files, headers
// excluded: what loading the weights as stored would occupy.
func (m *ModelFiles) TensorBytes() int64 {
	var n int64
	for _, f := range m.Files {
		for _, t := range f.Header.Tensors {
			n += t.ByteSize()
		}
	}
	return n
}

package skills

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxSmallJSON bounds the small JSON files read whole (config.json,
// modules.json, tokenizer_config.json); real ones are well under a megabyte,
// even tokenizer_config.json with a big added_tokens_decoder.
const maxSmallJSON = 16 << 20

// readFileLimited reads a whole file of at most limit bytes.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// readJSONFile decodes a small JSON file into v. A missing file is
// found=false with no error; a malformed one is an error naming the file.
func readJSONFile(path string, v any) (found bool, err error) {
	b, err := readFileLimited(path, maxSmallJSON)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

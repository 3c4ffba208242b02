package skills

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sentenceTransformers is what a sentence-transformers folder says about how
// to turn hidden states into an embedding.
type sentenceTransformers struct {
	Present      bool   // modules.json or a pooling config was found
	Pooling      string // one of the Pooling* modes; "" when no pooling module
	Normalize    bool   // a Normalize module follows the pooling
	MaxSeqLength int    // sentence_bert_config.json's max_seq_length; 0 if absent
	Unsupported  string // why the pipeline cannot be served as written
}

// stModule is one entry of modules.json.
type stModule struct {
	Path string `json:"path"`
	Type string `json:"type"`
}

// Default locations sentence-transformers uses when modules.json is absent.
const (
	defaultPoolingDir   = "1_Pooling"
	defaultNormalizeDir = "2_Normalize"
)

// readSentenceTransformers reads modules.json, the pooling module's
// config.json and sentence_bert_config.json. Missing files mean "not a
// sentence-transformers folder"; malformed ones are errors naming the file.
func readSentenceTransformers(dir string) (sentenceTransformers, error) {
	var st sentenceTransformers
	var modules []stModule
	found, err := readJSONFile(filepath.Join(dir, "modules.json"), &modules)
	if err != nil {
		return st, err
	}
	poolingDir := ""
	if found {
		st.Present = true
		if poolingDir, err = st.readModules(modules); err != nil {
			return st, err
		}
	} else {
		if isFile(filepath.Join(dir, defaultPoolingDir, "config.json")) {
			st.Present, poolingDir = true, defaultPoolingDir
		}
		st.Normalize = isDir(filepath.Join(dir, defaultNormalizeDir))
	}
	if poolingDir != "" {
		if err := st.readPooling(filepath.Join(dir, poolingDir, "config.json")); err != nil {
			return st, err
		}
	}
	var sbc struct {
		MaxSeqLength *int `json:"max_seq_length"`
	}
	found, err = readJSONFile(filepath.Join(dir, "sentence_bert_config.json"), &sbc)
	if err != nil {
		return st, err
	}
	if found {
		st.Present = true
		if sbc.MaxSeqLength != nil && *sbc.MaxSeqLength > 0 {
			st.MaxSeqLength = *sbc.MaxSeqLength
		}
	}
	return st, nil
}

// readModules walks the module pipeline and returns the pooling module's
// folder. hfserve runs Transformer → Pooling → Normalize; any other module
// (Dense projections, custom code) would change the embedding, so the
// pipeline is marked unsupported rather than served wrong.
func (st *sentenceTransformers) readModules(modules []stModule) (string, error) {
	poolingDir := ""
	for _, m := range modules {
		kind := m.Type[strings.LastIndexByte(m.Type, '.')+1:]
		switch kind {
		case "Transformer":
			if m.Path != "" && st.Unsupported == "" {
				st.Unsupported = fmt.Sprintf("modules.json puts the transformer in the subfolder %q; hfserve serves it from the model folder itself", m.Path)
			}
		case "Pooling":
			if !filepath.IsLocal(m.Path) {
				return "", fmt.Errorf("modules.json: pooling module path %q is not inside the model folder", m.Path)
			}
			poolingDir = m.Path
		case "Normalize":
			st.Normalize = true
		default:
			if st.Unsupported == "" {
				st.Unsupported = fmt.Sprintf("sentence-transformers module %q (%s) is not supported", m.Type, m.Path)
			}
		}
	}
	return poolingDir, nil
}

// readPooling reads a Pooling module's config.json.
func (st *sentenceTransformers) readPooling(path string) error {
	var pc struct {
		Mode     *string `json:"pooling_mode"`
		CLS      bool    `json:"pooling_mode_cls_token"`
		Mean     bool    `json:"pooling_mode_mean_tokens"`
		Max      bool    `json:"pooling_mode_max_tokens"`
		MeanSqrt bool    `json:"pooling_mode_mean_sqrt_len_tokens"`
		Weighted bool    `json:"pooling_mode_weightedmean_tokens"`
		Last     bool    `json:"pooling_mode_lasttoken"`
	}
	found, err := readJSONFile(path, &pc)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("sentence-transformers pooling config %s is missing", path)
	}
	var modes []string
	if pc.Mode != nil {
		modes = append(modes, *pc.Mode)
	} else {
		for _, m := range []struct {
			on   bool
			name string
		}{{pc.CLS, PoolingCLS}, {pc.Mean, PoolingMean}, {pc.Max, PoolingMax}, {pc.MeanSqrt, "mean_sqrt_len_tokens"}, {pc.Weighted, "weightedmean"}, {pc.Last, PoolingLastToken}} {
			if m.on {
				modes = append(modes, m.name)
			}
		}
	}
	switch {
	case len(modes) == 0:
		st.Unsupported = "the sentence-transformers pooling config selects no pooling mode"
	case len(modes) > 1:
		st.Unsupported = "the sentence-transformers pooling config concatenates several poolings (" + strings.Join(modes, "+") + ")"
	case modes[0] == PoolingCLS, modes[0] == PoolingMean, modes[0] == PoolingMax, modes[0] == PoolingLastToken:
		st.Pooling = modes[0]
	default:
		st.Unsupported = fmt.Sprintf("sentence-transformers pooling mode %q is not supported (cls, mean, max and lasttoken are)", modes[0])
	}
	return nil
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

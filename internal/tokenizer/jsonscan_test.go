package tokenizer

import (
	"encoding/json"
	"testing"
)

// TestVocabAndMergesSpellings checks that the fast vocab and merges readers
// give the same tokenizer for every JSON spelling of the same model:
// escaped strings (decoded into a side buffer), merges as "a b" or as
// pairs, and the model parsed in the document pass or from its raw bytes.
func TestVocabAndMergesSpellings(t *testing.T) {
	models := []string{
		`{"type":"BPE","vocab":{"h":0,"e":1,"l":2,"o":3,"he":4,"ll":5,"hell":6,"hello":7,"é":8,"hé":9},"merges":["h e","l l","he ll","hell o","h é"]}`,
		`{"type":"BPE","vocab":{"\u0068":0,"e":1,"l":2,"o":3,"h\u0065":4,"ll":5,"hell":6,"hello":7,"\u00e9":8,"h\u00e9":9},"merges":["\u0068 e","l l","he ll","hell \u006f","h \u00e9"]}`,
		`{"type":"BPE","vocab":{"h":0,"e":1,"l":2,"o":3,"he":4,"ll":5,"hell":6,"hello":7,"é":8,"hé":9},"merges":[["h","e"],["l","\u006c"],["he","ll"],["hell","o"],["\u0068","é"]]}`,
		`{"merges":[["h","e"],["l","l"],["he","ll"],["hell","o"],["h","é"]],"vocab":{"h":0,"e":1,"l":2,"o":3,"he":4,"ll":5,"hell":6,"hello":7,"é":8,"hé":9},"type":"BPE"}`,
	}
	var want []int32
	for i, m := range models {
		for _, doc := range []string{
			`{"model":` + m + `}`,
			`{"model":` + m + `,"model":` + m + `}`, // a later duplicate wins
		} {
			tk, err := Parse([]byte(doc))
			if err != nil {
				t.Fatalf("model %d: %v", i, err)
			}
			enc, err := tk.Encode("hellohé", false)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = enc.IDs
				if !eqIDs(want, []int32{7, 9}) {
					t.Fatalf("hellohé = %v, want [7 9]", want)
				}
			} else if !eqIDs(enc.IDs, want) {
				t.Errorf("model %d: %v, want %v", i, enc.IDs, want)
			}
		}
		m2, err := parseModel(json.RawMessage(m)) // the raw-bytes path
		if err != nil {
			t.Fatalf("model %d raw: %v", i, err)
		}
		if toks, err := m2.tokenize("hello"); err != nil || len(toks) != 1 || toks[0].id != 7 {
			t.Errorf("model %d raw: %v %v", i, toks, err)
		}
	}
	for _, bad := range []string{
		`{"model":{"type":"BPE","vocab":{"a":-1},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{"a":1.5},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{"a":99999999999},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a  b"]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b","c"]]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a"]]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[7]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]} trailing`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

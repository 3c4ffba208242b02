package bert

// names are one flavour's tensor names, relative to the base model's
// prefix; layer names are relative to the layer's prefix.
type names struct {
	word, pos, tokType, embNormW, embNormB string
	layer                                  string // "encoder.layer." or "transformer.layer."
	q, k, v, o                             string // weight names without ".weight"/".bias"
	attnNorm, fc1, fc2, outNorm            string
	base                                   string // the base model's prefix inside a head checkpoint
}

var bertNames = names{
	word: "embeddings.word_embeddings", pos: "embeddings.position_embeddings",
	tokType: "embeddings.token_type_embeddings", embNormW: "embeddings.LayerNorm.weight", embNormB: "embeddings.LayerNorm.bias",
	layer: "encoder.layer.",
	q:     "attention.self.query", k: "attention.self.key", v: "attention.self.value", o: "attention.output.dense",
	attnNorm: "attention.output.LayerNorm", fc1: "intermediate.dense", fc2: "output.dense", outNorm: "output.LayerNorm",
}

var distilNames = names{
	word: "embeddings.word_embeddings", pos: "embeddings.position_embeddings",
	embNormW: "embeddings.LayerNorm.weight", embNormB: "embeddings.LayerNorm.bias",
	layer: "transformer.layer.",
	q:     "attention.q_lin", k: "attention.k_lin", v: "attention.v_lin", o: "attention.out_lin",
	attnNorm: "sa_layer_norm", fc1: "ffn.lin1", fc2: "ffn.lin2", outNorm: "output_layer_norm",
	base: "distilbert.",
}

// namesFor returns the names of a model_type; base is the prefix its head
// classes keep the base model under.
func namesFor(modelType string) names {
	switch modelType {
	case "distilbert":
		return distilNames
	case "roberta", "xlm-roberta":
		n := bertNames
		n.base = "roberta."
		return n
	}
	n := bertNames
	n.base = "bert."
	return n
}

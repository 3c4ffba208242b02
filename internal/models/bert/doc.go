// Package bert implements the BERT family of encoders with the semantics of
// Hugging Face transformers: bert, roberta, xlm-roberta (RoBERTa's code,
// another model_type) and distilbert.
//
// All share one post-LayerNorm block: self-attention with padded keys
// masked, a residual LayerNorm, a feed-forward with the configured GELU, and
// a second residual LayerNorm. They differ in their embeddings (BERT:
// positions from 0 plus token types; RoBERTa: positions padding_idx +
// cumsum of non-pad tokens, pad tokens at padding_idx; DistilBERT: no token
// types, LayerNorm eps fixed at 1e-12), in their tensor names, and in their
// heads:
//
//   - base model (BertModel, RobertaModel, XLMRobertaModel,
//     DistilBertModel), with the pooler tanh(dense(h[CLS])) where its weights
//     exist;
//   - sequence classification: BERT classifier(pooler); RoBERTa
//     out_proj(tanh(dense(h[<s>]))); DistilBERT classifier(relu(
//     pre_classifier(h[CLS])));
//   - token classification: classifier(h) per token;
//   - masked LM: dense → activation → LayerNorm → decoder (tied to the word
//     embeddings unless the config unties them) + bias.
//
// [Load] validates config.json and every tensor up front; a [Model] is safe
// for concurrent use.
package bert

// Package api holds hfserve's public wire types: the JSON bodies its HTTP API
// sends and accepts. They follow the OpenAI API reference
// (https://platform.openai.com/docs/api-reference) field by field, so that
// OpenAI clients and SDKs work against hfserve unchanged; the Hugging Face
// TGI/TEI shapes join them later.
//
// The package has no behaviour beyond encoding/json tags and a few
// constructors, and imports nothing from the rest of hfserve, so clients
// (including the hfserve CLI) can depend on it alone.
package api

// Package config holds hfserve's one configuration struct and the rules that fill it.
//
// A value comes from four layers, highest first: command-line flags, HFSERVE_* environment
// variables, a YAML file (named by --config or HFSERVE_CONFIG), and the defaults of [Default].
// A key set in a higher layer replaces the lower one entirely; lists are replaced, never merged.
//
// Every key is a field of [Config] with a `key` struct tag, and every other spelling is derived
// from that tag: YAML max_loaded_models, flag --max-loaded-models, environment
// HFSERVE_MAX_LOADED_MODELS. List keys take the singular as a repeatable flag (models: --model,
// model_dirs: --model-dir). Adding a key is one new tagged field plus, if it has a range, a
// line in Validate.
//
// Nothing is ignored: unknown YAML keys, unknown HFSERVE_* variables (except those of
// [ReservedEnv]), wrong types and out-of-range values all fail with an [*Error] that names the
// key and the layer the bad value came from.
//
// The package has no global state; [Bind] ties the keys to a caller's flag.FlagSet and
// [Binding.Resolve] reads the layers in order.
package config

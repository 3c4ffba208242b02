package config

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
)

// Loaded is the effective configuration and where each value came from.
type Loaded struct {
	Config  Config
	Sources map[string]Source // by key; every key is present
	File    string            // the config file read, as an absolute path; "" when none
}

// ResolveEnviron is [Binding.Resolve] over environ (NAME=value strings, as os.Environ
// returns), after [CheckEnv] has rejected unknown HFSERVE_* variables. The CLI calls
// ResolveEnviron(os.Environ()).
func (b *Binding) ResolveEnviron(environ []string) (*Loaded, error) {
	if err := CheckEnv(environ); err != nil {
		return nil, err
	}
	return b.Resolve(lookupEnviron(environ))
}

// Resolve builds the effective configuration; call it after fs.Parse. It starts from the
// defaults, applies the file named by --config (else HFSERVE_CONFIG), then the HFSERVE_*
// variables lookupEnv finds, then the flags that were set, and validates the result. Every
// error is an *Error (or, from Validate, several joined) naming the key and its source.
// Resolve cannot see which variables exist, so it does not reject unknown HFSERVE_* names:
// [Binding.ResolveEnviron] does.
func (b *Binding) Resolve(lookupEnv func(string) (string, bool)) (*Loaded, error) {
	loaded := &Loaded{Config: defaults(lookupEnv), Sources: map[string]Source{}}
	for _, f := range b.fields {
		loaded.Sources[f.Key] = SourceDefault
	}
	if err := b.applyFile(loaded, lookupEnv); err != nil {
		return nil, err
	}
	if err := applyEnv(&loaded.Config, loaded.Sources, lookupEnv); err != nil {
		return nil, err
	}
	if err := b.applyFlags(&loaded.Config, loaded.Sources); err != nil {
		return nil, err
	}
	if err := loaded.Config.Validate(); err != nil {
		return nil, attributeSources(err, loaded.Sources)
	}
	return loaded, nil
}

// applyFile reads and applies the config file, if --config or HFSERVE_CONFIG names one.
func (b *Binding) applyFile(loaded *Loaded, lookupEnv func(string) (string, bool)) error {
	path, from := "", Source("")
	if b.isSet(configFlag) {
		path, from = *b.configPath, flagSource(configFlag)
	} else if p, ok := lookupEnv(EnvPrefix + "CONFIG"); ok {
		path, from = p, envSource(EnvPrefix+"CONFIG")
	} else {
		return nil
	}
	if path == "" {
		return &Error{Key: configFlag, Source: from, Msg: "empty file name"}
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	data, err := readFile(path)
	if err != nil {
		return &Error{Key: configFlag, Source: from, Msg: "cannot read config file: " + err.Error()}
	}
	src := fileSource(path)
	if e := applyYAML(&loaded.Config, loaded.Sources, data, src); e != nil {
		e.Source = src
		return e
	}
	loaded.File = path
	return nil
}

// isSet says whether the named flag was given on the command line.
func (b *Binding) isSet(name string) bool {
	set := false
	b.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// attributeSources fills in the source of each *Error in err from the key it names; list
// entries (models[2].task) take the source of their list.
func attributeSources(err error, sources map[string]Source) error {
	var errs []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ce *Error
		if errors.As(e, &ce) && ce.Source == "" {
			root, _, _ := strings.Cut(ce.Key, "[")
			ce.Source = sources[root]
		}
	}
	return err
}

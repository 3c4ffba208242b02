package config

import (
	"flag"
	"reflect"
)

// configFlag is the flag naming the config file; HFSERVE_CONFIG is its environment twin.
const configFlag = "config"

// Binding ties the keys to the flags of one flag.FlagSet. Make it with [Bind].
type Binding struct {
	fs         *flag.FlagSet
	fields     []field
	values     map[string]*flagValue // by flag name, without dashes
	configPath *string
}

// Bind registers one flag per key on fs, plus --config FILE. Scalar flags keep the last value
// given; list flags (--model, --model-dir) take one element each time they are repeated;
// booleans are written --enable-batching or --enable-batching=false. Values are checked as
// they are parsed, so fs.Parse reports a malformed value as a usage error; ranges are checked
// by Resolve. Bind panics, as fs.Var does, if a flag of the same name is already defined.
func Bind(fs *flag.FlagSet) *Binding {
	b := &Binding{fs: fs, fields: configFields(), values: map[string]*flagValue{}}
	b.configPath = fs.String(configFlag, "", "read configuration from this YAML `FILE` (env "+EnvPrefix+"CONFIG)")
	cfgType := reflect.TypeFor[Config]()
	for _, f := range b.fields {
		v := &flagValue{typ: cfgType.Field(f.index).Type, defaultText: f.Default}
		usage := f.Help + " (`" + f.arg + "`; env " + f.Env + ")"
		switch v.typ.Kind() {
		case reflect.Bool:
			// No placeholder: a boolean flag stands alone.
			usage = f.Help + " (env " + f.Env + ")"
		case reflect.Slice:
			usage = f.Help + " (repeatable `" + f.arg + "`; env " + f.Env + ")"
			if f.Default == "[]" {
				v.defaultText = "" // flag help says nothing rather than "(default [])"
			}
		}
		name := f.Flag[2:]
		b.values[name] = v
		fs.Var(v, name, usage)
	}
	return b
}

// flagValue collects what one key's flag was given, as text; Resolve turns it into a value.
type flagValue struct {
	typ         reflect.Type
	defaultText string
	texts       []string
}

// String shows the default until the flag is set, so flag.PrintDefaults lists it.
func (v *flagValue) String() string {
	if v == nil || v.typ == nil {
		return ""
	}
	if len(v.texts) == 0 {
		return v.defaultText
	}
	return v.texts[len(v.texts)-1]
}

// Set checks and records one value.
func (v *flagValue) Set(text string) error {
	if _, err := parseText(v.typ, text); err != nil {
		return err
	}
	v.texts = append(v.texts, text)
	return nil
}

// IsBoolFlag lets a boolean flag stand alone (--preload) as the flag package expects.
func (v *flagValue) IsBoolFlag() bool { return v.typ != nil && v.typ.Kind() == reflect.Bool }

// value is what the flag says: the last text for a scalar, every text for a list.
func (v *flagValue) value() (reflect.Value, error) {
	if v.typ.Kind() != reflect.Slice {
		return parseText(v.typ, v.texts[len(v.texts)-1])
	}
	list := reflect.Zero(v.typ)
	for _, text := range v.texts {
		elem, err := parseText(v.typ, text)
		if err != nil {
			return reflect.Value{}, err
		}
		list = reflect.Append(list, elem)
	}
	return list, nil
}

// applyFlags sets the keys whose flags were given on the command line.
func (b *Binding) applyFlags(cfg *Config, sources map[string]Source) error {
	cv := reflect.ValueOf(cfg).Elem()
	var firstErr error
	b.fs.Visit(func(fl *flag.Flag) {
		v, ok := b.values[fl.Name]
		if !ok || firstErr != nil || len(v.texts) == 0 {
			return
		}
		f := b.fieldOfFlag(fl.Name)
		value, err := v.value()
		if err != nil {
			firstErr = &Error{Key: f.Key, Source: flagSource(fl.Name), Msg: err.Error()}
			return
		}
		cv.Field(f.index).Set(value)
		sources[f.Key] = flagSource(fl.Name)
	})
	return firstErr
}

// fieldOfFlag finds the key behind a flag name.
func (b *Binding) fieldOfFlag(name string) field {
	for _, f := range b.fields {
		if f.Flag[2:] == name {
			return f
		}
	}
	return field{}
}

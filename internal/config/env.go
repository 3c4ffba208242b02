package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
)

// lookupOS reads the process environment.
func lookupOS(name string) (string, bool) { return os.LookupEnv(name) }

// lookupEnviron makes a lookup function over a list of NAME=value strings, as os.Environ
// returns; the last assignment of a name wins, as in execve.
func lookupEnviron(environ []string) func(string) (string, bool) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			vars[name] = value
		}
	}
	return func(name string) (string, bool) {
		value, ok := vars[name]
		return value, ok
	}
}

// CheckEnv fails with an *Error for the first HFSERVE_* variable in environ (NAME=value
// strings, as os.Environ returns) that is neither a key nor in [ReservedEnv]: such a variable
// is almost always a typo that would otherwise be silently ignored.
func CheckEnv(environ []string) error {
	fields := configFields()
	known := ReservedEnv()
	for _, f := range fields {
		known = append(known, f.Env)
	}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || slices.Contains(known, name) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(name, EnvPrefix))
		return &Error{Key: key, Source: envSource(name), Msg: "not a setting: " + unknownKeyMsg(key, keyNames(fields))}
	}
	return nil
}

// applyEnv sets every key whose HFSERVE_* variable is set, even to the empty string: an empty
// value is a value (an empty list; for a number, an error), never a silent "unset".
func applyEnv(cfg *Config, sources map[string]Source, lookupEnv func(string) (string, bool)) error {
	cv := reflect.ValueOf(cfg).Elem()
	for _, f := range configFields() {
		text, ok := lookupEnv(f.Env)
		if !ok {
			continue
		}
		field := cv.Field(f.index)
		v, err := parseEnvText(field.Type(), text, f.pathList)
		if err != nil {
			return &Error{Key: f.Key, Source: envSource(f.Env), Msg: err.Error()}
		}
		field.Set(v)
		sources[f.Key] = envSource(f.Env)
	}
	return nil
}

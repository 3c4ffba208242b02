// Command hfserve serves Hugging Face models — text generation, chat,
// embeddings, classification and reranking — behind an OpenAI-compatible API
// and the Hugging Face TGI/TEI APIs, from one binary.
//
// Exit codes: 0 success, 2 usage error (bad flag, bad configuration), 1 any
// other failure. Every failure prints one line on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// env is what a command may see of the outside world; tests build their own.
type env struct {
	stdin          io.Reader // nil: no input (run then needs a PROMPT)
	stdout, stderr io.Writer
	environ        []string // NAME=value, as os.Environ returns
	homeDir        string
}

// lookupEnv finds a variable in e.environ (the last assignment wins, as in
// os/exec).
func (e *env) lookupEnv(name string) (string, bool) {
	for i := len(e.environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e.environ[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP server", runServe},
		{"run", "generate text with a model in this process (one prompt, or an interactive chat)", runRun},
		{"ps", "show what a running server has loaded", runPs},
		{"keys", "manage a running server's API keys (create, ls, show, revoke, rotate)", runKeys},
		{"bench", "load-test a running server and report throughput and latency", runBench},
		{"ls", "list the models found on this machine", runLs},
		{"pull", "download a model from the Hugging Face Hub into the cache", runPull},
		{"rm", "delete a model from the Hugging Face cache", runRm},
		{"show", "describe a model without loading its weights", runShow},
		{"tokenize", "encode, decode or render chat prompts with a model's tokenizer", runTokenize},
		{"version", "print version, build and CPU information", runVersion},
	}
}

// usageError marks errors that are the caller's fault (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	home, _ := os.UserHomeDir()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ(), homeDir: home}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	err := dispatch(ctx, e, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(e.stderr, "hfserve: %s\n", oneLine(err.Error()))
		return 2
	default:
		fmt.Fprintf(e.stderr, "hfserve: %s\n", oneLine(err.Error()))
		return 1
	}
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no command given (commands: %s; see hfserve --help)", strings.Join(commandNames(), ", "))
	}
	name := args[0]
	switch name {
	case "-h", "--help", "-help", "help":
		if name == "help" && len(args) > 1 {
			return dispatch(ctx, e, []string{args[1], "--help"})
		}
		printTopUsage(e.stdout)
		return nil
	case "--version", "-version":
		return runVersion(ctx, e, nil)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	return usagef("unknown command %q (commands: %s)", name, strings.Join(commandNames(), ", "))
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	sort.Strings(names)
	return names
}

func printTopUsage(w io.Writer) {
	fmt.Fprintln(w, "hfserve serves Hugging Face models behind OpenAI-compatible and Hugging Face TGI/TEI APIs.")
	fmt.Fprintln(w, "\nUsage: hfserve <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hfserve <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage (with GNU-style --flags) to the command's stdout on --help.
func newFlagSet(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are reported once, by run
	fs.Usage = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: hfserve %s\n\n%s\n", synopsis, description)
		printFlags(w, fs)
	}
	return fs
}

// printFlags lists a flag set's flags as --name, with defaults.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var any bool
	fs.VisitAll(func(f *flag.Flag) {
		if !any {
			fmt.Fprintln(w, "\nFlags:")
			any = true
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args, allowing flags after positional arguments
// (`hfserve show MODEL --json`), and turns flag errors into usage errors.
// The positional arguments are left in fs.Args(). A "--" ends flag parsing.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return flag.ErrHelp // flag.Parse has already printed fs.Usage
			}
			return usageError{fmt.Errorf("%s: %w", fs.Name(), err)}
		}
		rest := fs.Args()
		// flag.Parse stops at the first non-flag, or consumes "--" and stops.
		consumedDashes := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
		if len(rest) == 0 || consumedDashes {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Re-parse only the positional arguments, after "--", so fs.Args()
	// reports them and every flag keeps the value already parsed.
	return fs.Parse(append([]string{"--"}, positional...))
}

// oneLine keeps the stderr report to one line, as the CLI contract promises.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

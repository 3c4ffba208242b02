package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"hfserve/api"
)

const keysDescription = `Manage the API keys of a running hfserve (auth_enabled) through its admin
API, with the admin key (--api-key or $HFSERVE_ADMIN_KEY).

Subcommands:
  create --name NAME [--scopes inference,embeddings,admin] [--models ID,PATTERN]
         [--rpm N] [--tpm N] [--max-concurrent N] [--daily-tokens N]
         [--monthly-tokens N] [--expires-at RFC3339 | --expires-in DURATION]
                     create a key and print its secret (shown this once)
  ls                 list the keys, revoked and expired ones included
  show ID            show one key
  revoke ID          revoke a key: it stops working at once
  rotate ID          give a key a new secret (shown this once); the old one stops working

Every subcommand takes --server, --api-key, --json and --timeout.`

// secretNotice follows every secret the CLI prints.
const secretNotice = "This key is shown only now and cannot be shown again: store it safely (hfserve keeps only its hash)."

// keysSubcommands are the subcommands of keys, by name.
func keysSubcommands() map[string]func(ctx context.Context, e *env, args []string) error {
	return map[string]func(ctx context.Context, e *env, args []string) error{
		"create": runKeysCreate,
		"ls":     runKeysList,
		"show":   runKeysShow,
		"revoke": runKeysRevoke,
		"rotate": runKeysRotate,
	}
}

func runKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("keys: no subcommand given (create, ls, show, revoke, rotate; see hfserve keys --help)")
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fs := newFlagSet(e, "keys", "keys <create|ls|show|revoke|rotate> [flags]", keysDescription)
		fs.Usage()
		return flag.ErrHelp
	}
	sub, ok := keysSubcommands()[args[0]]
	if !ok {
		return usagef("keys: unknown subcommand %q (create, ls, show, revoke, rotate)", args[0])
	}
	return sub(ctx, e, args[1:])
}

// keysCommand parses an admin subcommand's flags and positional arguments
// (exactly wantArgs of them) and returns its client.
func keysCommand(e *env, fs *flag.FlagSet, af adminFlags, args []string, wantArgs int) (*adminClient, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != wantArgs {
		if wantArgs == 0 {
			return nil, usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
		}
		return nil, usagef("%s: want exactly one key ID, got %d arguments", fs.Name(), fs.NArg())
	}
	return af.client(e, fs.Name())
}

func runKeysCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys create", "keys create --name NAME [flags]", "Create an API key and print its secret, which is shown this once.")
	af := addAdminFlags(fs)
	var req api.KeyCreateRequest
	fs.StringVar(&req.Name, "name", "", "the key's name (required)")
	scopes := fs.String("scopes", "", "comma-separated scopes: inference, embeddings, admin (default inference,embeddings)")
	models := fs.String("models", "", "comma-separated model ids or patterns (Qwen/*) the key may use (default: all)")
	fs.Int64Var(&req.RPM, "rpm", 0, "requests per minute (0: unlimited)")
	fs.Int64Var(&req.TPM, "tpm", 0, "tokens per minute, prompt and generated (0: unlimited)")
	fs.Int64Var(&req.MaxConcurrent, "max-concurrent", 0, "requests in flight at once (0: unlimited)")
	fs.Int64Var(&req.DailyTokens, "daily-tokens", 0, "tokens per UTC day (0: unlimited)")
	fs.Int64Var(&req.MonthlyTokens, "monthly-tokens", 0, "tokens per UTC month (0: unlimited)")
	expiresAt := fs.String("expires-at", "", "when the key stops working, RFC 3339 (2026-12-31T00:00:00Z)")
	expiresIn := fs.Duration("expires-in", 0, "how long the key works from now (720h)")
	c, err := keysCommand(e, fs, af, args, 0)
	if err != nil {
		return err
	}
	if req.Name == "" {
		return usagef("keys create: --name is required")
	}
	req.Scopes, req.Models = splitList(*scopes), splitList(*models)
	switch {
	case *expiresAt != "" && *expiresIn != 0:
		return usagef("keys create: give --expires-at or --expires-in, not both")
	case *expiresAt != "":
		t, err := time.Parse(time.RFC3339, *expiresAt)
		if err != nil {
			return usagef("keys create: --expires-at %q is not RFC 3339 (2026-12-31T00:00:00Z)", *expiresAt)
		}
		req.ExpiresAt = &t
	case *expiresIn < 0:
		return usagef("keys create: --expires-in must be positive")
	case *expiresIn > 0:
		t := time.Now().Add(*expiresIn).UTC().Truncate(time.Second)
		req.ExpiresAt = &t
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	body, err := c.do(ctx, http.MethodPost, "/admin/keys", req, http.StatusCreated)
	if err != nil {
		return err
	}
	return printSecret(e, c.cmd, body, *af.asJSON)
}

func runKeysList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys ls", "keys ls [flags]", "List the API keys, newest first, revoked and expired ones included.")
	af := addAdminFlags(fs)
	c, err := keysCommand(e, fs, af, args, 0)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	body, err := c.do(ctx, http.MethodGet, "/admin/keys", nil, http.StatusOK)
	if err != nil {
		return err
	}
	if *af.asJSON {
		_, err := e.stdout.Write(body)
		return err
	}
	var list api.AdminKeyList
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("keys ls: the server's answer is not a key list: %w", err)
	}
	return printKeyTable(e.stdout, list.Data)
}

func runKeysShow(ctx context.Context, e *env, args []string) error {
	return keyAction(ctx, e, args, "show", "Show one API key.", http.MethodGet)
}

func runKeysRevoke(ctx context.Context, e *env, args []string) error {
	return keyAction(ctx, e, args, "revoke", "Revoke an API key: it stops working at once.", http.MethodDelete)
}

func runKeysRotate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys rotate", "keys rotate ID [flags]", "Give an API key a new secret, shown this once; the old secret stops working at once.")
	af := addAdminFlags(fs)
	c, err := keysCommand(e, fs, af, args, 1)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	body, err := c.do(ctx, http.MethodPost, "/admin/keys/"+url.PathEscape(fs.Arg(0))+"/rotate", nil, http.StatusOK)
	if err != nil {
		return err
	}
	return printSecret(e, c.cmd, body, *af.asJSON)
}

// keyAction runs a subcommand that sends method to /admin/keys/ID and
// prints the key it answers with.
func keyAction(ctx context.Context, e *env, args []string, name, description, method string) error {
	fs := newFlagSet(e, "keys "+name, "keys "+name+" ID [flags]", description)
	af := addAdminFlags(fs)
	c, err := keysCommand(e, fs, af, args, 1)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	body, err := c.do(ctx, method, "/admin/keys/"+url.PathEscape(fs.Arg(0)), nil, http.StatusOK)
	if err != nil {
		return err
	}
	if *af.asJSON {
		_, err := e.stdout.Write(body)
		return err
	}
	var k api.AdminKey
	if err := json.Unmarshal(body, &k); err != nil {
		return fmt.Errorf("%s: the server's answer is not a key: %w", c.cmd, err)
	}
	return printKey(e.stdout, k)
}

// printSecret prints a key with its secret and the notice that it is not
// shown again (with --json, the server's answer as it came).
func printSecret(e *env, cmd string, body []byte, asJSON bool) error {
	if asJSON {
		_, err := e.stdout.Write(body)
		return err
	}
	var k api.AdminKeySecret
	if err := json.Unmarshal(body, &k); err != nil || k.Key == "" {
		return fmt.Errorf("%s: the server's answer holds no key: %w", cmd, errors.Join(err, errors.New("missing \"key\"")))
	}
	if err := printKey(e.stdout, k.AdminKey); err != nil {
		return err
	}
	if err := printField(e.stdout, "key", k.Key); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, secretNotice)
	return err
}

// printKey writes one key, a field per line.
func printKey(w io.Writer, k api.AdminKey) error {
	fields := [][2]string{
		{"id", k.ID}, {"name", oneLine(k.Name)}, {"prefix", k.Prefix}, {"state", k.State},
		{"scopes", strings.Join(k.Scopes, ",")}, {"models", modelsText(k.Models)}, {"limits", limitsText(k.KeyLimits)},
		{"created", k.CreatedAt.Format(time.RFC3339)},
	}
	for _, t := range []struct {
		label string
		at    *time.Time
	}{{"expires", k.ExpiresAt}, {"revoked", k.RevokedAt}, {"rotated", k.RotatedAt}, {"last used", k.LastUsedAt}} {
		if t.at != nil {
			fields = append(fields, [2]string{t.label, t.at.Format(time.RFC3339)})
		}
	}
	for _, f := range fields {
		if err := printField(w, f[0], f[1]); err != nil {
			return err
		}
	}
	return nil
}

// printField writes "label: value" with the values of a key lined up.
func printField(w io.Writer, label, value string) error {
	_, err := fmt.Fprintf(w, "%-11s %s\n", label+":", value)
	return err
}

// printKeyTable writes the keys as a table.
func printKeyTable(w io.Writer, keys []api.AdminKey) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSTATE\tSCOPES\tMODELS\tLIMITS\tCREATED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, oneLine(k.Name), k.Prefix, k.State,
			strings.Join(k.Scopes, ","), modelsText(k.Models), limitsText(k.KeyLimits), k.CreatedAt.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(keys) == 0 {
		_, err := fmt.Fprintln(w, "(no keys; hfserve keys create --name NAME makes one)")
		return err
	}
	return nil
}

func modelsText(models []string) string {
	if len(models) == 0 {
		return "all"
	}
	return strings.Join(models, ",")
}

// limitsText writes the limits that are set, "none" when none is.
func limitsText(l api.KeyLimits) string {
	var parts []string
	for _, f := range []struct {
		name string
		n    int64
	}{{"rpm", l.RPM}, {"tpm", l.TPM}, {"concurrent", l.MaxConcurrent}, {"daily", l.DailyTokens}, {"monthly", l.MonthlyTokens}} {
		if f.n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", f.name, f.n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

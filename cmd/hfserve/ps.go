package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"hfserve/api"
)

const psDescription = `Show the models a running hfserve knows and what each is doing: state
(available, loading, loaded, failed, unloading), resident memory, requests in
flight, pinning and when it was last used. Reads GET /admin/models.`

func runPs(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "ps", "ps [flags]", psDescription)
	server := fs.String("server", "", "the server's base URL (default: http:// + serve's listen address, 127.0.0.1:8080)")
	apiKey := fs.String("api-key", "", "admin API key, when the server requires one (default: $HFSERVE_ADMIN_KEY)")
	asJSON := fs.Bool("json", false, "print the server's JSON answer")
	all := fs.Bool("all", false, "list every model, not only those loaded or loading")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the server")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("ps: unexpected argument %q", fs.Arg(0))
	}
	base := *server
	if base == "" {
		base = "http://127.0.0.1:8080"
		if v, ok := e.lookupEnv("HFSERVE_LISTEN"); ok && v != "" {
			base = "http://" + v
		}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("ps: --server must be an http(s) URL such as http://127.0.0.1:8080, got %q", base)
	}
	key := *apiKey
	if key == "" {
		key, _ = e.lookupEnv("HFSERVE_ADMIN_KEY")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	body, err := getAdminModels(ctx, strings.TrimRight(base, "/")+"/admin/models", key)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := e.stdout.Write(body)
		return err
	}
	var list api.AdminModelList
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("ps: the server's answer is not a model list: %w", err)
	}
	return printPs(e.stdout, list, *all)
}

// getAdminModels fetches the admin model list, turning an error answer into
// an error carrying the server's message.
func getAdminModels(ctx context.Context, endpoint, key string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("ps: %w", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ps: is hfserve running? %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("ps: reading %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorResponse
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			return nil, fmt.Errorf("ps: %s: %s", resp.Status, e.Error.Message)
		}
		return nil, fmt.Errorf("ps: %s answered %s", endpoint, resp.Status)
	}
	return body, nil
}

// printPs writes the table: loaded and loading models, or all with all.
func printPs(w io.Writer, list api.AdminModelList, all bool) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tSTATE\tMEMORY\tIN FLIGHT\tPINNED\tLAST USED")
	shown := 0
	for _, m := range list.Data {
		if !all && m.State != "loaded" && m.State != "loading" && m.State != "unloading" {
			continue
		}
		shown++
		bytes := m.ResidentBytes
		if bytes == 0 {
			bytes = m.ReservedBytes
		}
		last := "never"
		if m.LastUsed != nil {
			last = time.Since(*m.LastUsed).Round(time.Second).String() + " ago"
		}
		state := m.State
		if m.Error != "" {
			state += ": " + oneLine(m.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%t\t%s\n", m.ID, state, humanBytes(bytes), m.InFlight, m.Pinned, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	mem := list.Memory
	budget := "no budget"
	if mem.BudgetBytes > 0 {
		budget = humanBytes(mem.BudgetBytes) + " budget"
	}
	_, err := fmt.Fprintf(w, "%d of %d models loaded; %s in use of %s\n",
		mem.LoadedModels, len(list.Data), humanBytes(mem.ReservedBytes), budget)
	if shown == 0 && !all {
		fmt.Fprintln(w, "(no model loaded; --all lists every model)")
	}
	return err
}

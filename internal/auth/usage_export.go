package auth

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// UsageCSVHeader returns the first row WriteUsageCSV writes. It has key
// ids, not names: ids never change and never name two keys.
func UsageCSVHeader() []string {
	return []string{"day", "key_id", "model", "requests", "prompt_tokens", "generated_tokens", "errors"}
}

// WriteUsageCSV writes records as CSV (RFC 4180) under UsageCSVHeader. A
// key id or model that starts like a spreadsheet formula (=, +, -, @) gets
// a leading apostrophe, so that opening the file runs nothing.
func WriteUsageCSV(w io.Writer, records []UsageRecord) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(UsageCSVHeader()); err != nil {
		return fmt.Errorf("auth: usage csv: %w", err)
	}
	for _, r := range records {
		row := []string{r.Day, csvText(r.KeyID), csvText(r.Model), strconv.FormatInt(r.Requests, 10),
			strconv.FormatInt(r.PromptTokens, 10), strconv.FormatInt(r.GeneratedTokens, 10), strconv.FormatInt(r.Errors, 10)}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("auth: usage csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("auth: usage csv: %w", err)
	}
	return nil
}

// csvText defuses a cell that a spreadsheet would read as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// UsageList is the JSON of WriteUsageJSON, in the shape of OpenAI's lists.
type UsageList struct {
	// Object is always "list".
	Object string `json:"object"`
	// Data are the records; never null.
	Data []UsageRecord `json:"data"`
}

// WriteUsageJSON writes records as a UsageList.
func WriteUsageJSON(w io.Writer, records []UsageRecord) error {
	if err := json.NewEncoder(w).Encode(UsageList{Object: "list", Data: nonNil(records)}); err != nil {
		return fmt.Errorf("auth: usage json: %w", err)
	}
	return nil
}

package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opendata-datahub/datahub/client"
)

// inputRow is one dataset of the input file.
type inputRow struct {
	n      int // position in the file: 1 for the first dataset
	fields client.Fields
	fileID string
	bad    string // why the row could not be read; it is then not sent
}

// inputFormat names the input's format from --format or the file's extension.
func inputFormat(path, flagValue string) (string, error) {
	f := strings.ToLower(strings.TrimPrefix(flagValue, "."))
	if f == "" {
		f = strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	}
	switch f {
	case "csv", "json", "jsonl":
		return f, nil
	case "ndjson":
		return "jsonl", nil
	}
	return "", usageError{fmt.Sprintf("submit: cannot tell the format of %q: name it .csv, .json or .jsonl, or give --format", path)}
}

// readRows reads every dataset of the file.
func readRows(path, format string) ([]inputRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	var rows []inputRow
	switch format {
	case "csv":
		rows, err = csvRows(f)
	case "json":
		rows, err = jsonRows(f)
	default:
		rows, err = jsonlRows(f)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}

// csvRows reads a CSV whose header row names the submit fields. A cell is sent
// as a string (multi-value fields comma-separated, as the API takes them); an
// empty cell is left out, which the API takes the same way as an empty value.
func csvRows(r io.Reader) ([]inputRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: its first row must name the fields")
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // spreadsheets often start with a byte-order mark
		if h == "" || seen[h] {
			return nil, fmt.Errorf("header column %d is empty or repeated (%q)", i+1, h)
		}
		seen[h], header[i] = true, h
	}
	idCol := slices.Index(header, "file_id")
	var rows []inputRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if blank(rec) {
			continue // the empty lines spreadsheets leave at the end
		}
		row := inputRow{n: len(rows) + 1, fields: client.Fields{}}
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			row.bad = fmt.Sprintf("line %d has %d cells, the header %d", line, len(rec), len(header))
		}
		for i, v := range rec {
			if i < len(header) && strings.TrimSpace(v) != "" {
				row.fields[header[i]] = v
			}
		}
		if idCol >= 0 && idCol < len(rec) {
			row.fileID = strings.TrimSpace(rec[idCol])
		}
		rows = append(rows, row)
	}
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// jsonRows reads a JSON array of objects.
func jsonRows(r io.Reader) ([]inputRow, error) {
	var items []json.RawMessage
	if err := json.NewDecoder(r).Decode(&items); err != nil {
		return nil, fmt.Errorf("expected a JSON array of objects: %w", err)
	}
	rows := make([]inputRow, 0, len(items))
	for i, it := range items {
		rows = append(rows, objectRow(i+1, it))
	}
	return rows, nil
}

// jsonlRows reads one JSON object per line; blank lines are skipped.
func jsonlRows(r io.Reader) ([]inputRow, error) {
	br := bufio.NewReader(r)
	var rows []inputRow
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			rows = append(rows, objectRow(len(rows)+1, bytes.TrimSpace(line)))
		}
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// objectRow keeps each value as it was written, so that the server judges it
// (a number where a string belongs is its invalid_format, not ours).
func objectRow(n int, raw []byte) inputRow {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return inputRow{n: n, bad: "not a JSON object"}
	}
	row := inputRow{n: n, fields: make(client.Fields, len(obj))}
	for k, v := range obj {
		row.fields[k] = v
	}
	var id string
	if json.Unmarshal(obj["file_id"], &id) == nil {
		row.fileID = strings.TrimSpace(id)
	}
	return row
}

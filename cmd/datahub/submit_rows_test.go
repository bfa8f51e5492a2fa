package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRows(t *testing.T) {
	tests := []struct {
		name, format, content string
		want                  []inputRow // fields compared as JSON
		err                   string
	}{
		{"csv with a byte-order mark, a quoted multi-line cell and trailing empty rows", "csv",
			"\ufefffile_id, subject ,notes_translated_en\nf-1,\"a, b\",\"two\nlines\"\n,,\n\n",
			[]inputRow{{n: 1, fileID: "f-1", fields: map[string]any{"file_id": "f-1", "subject": "a, b", "notes_translated_en": "two\nlines"}}}, ""},
		{"csv row with too few cells is that row's problem", "csv",
			"file_id,subject\nf-1,x\nf-2\n",
			[]inputRow{{n: 1, fileID: "f-1", fields: map[string]any{"file_id": "f-1", "subject": "x"}},
				{n: 2, fileID: "f-2", fields: map[string]any{"file_id": "f-2"}, bad: "line 3 has 1 cells, the header 2"}}, ""},
		{"csv without file_id column", "csv", "subject\nx\n",
			[]inputRow{{n: 1, fields: map[string]any{"subject": "x"}}}, ""},
		{"csv with a repeated column", "csv", "file_id,file_id\na,b\n", nil, "repeated"},
		{"empty csv", "csv", "", nil, "empty"},
		{"json array keeps values as written", "json",
			`[{"file_id":" f-1 ","subject":["a","b"],"n":2}, 7]`,
			[]inputRow{{n: 1, fileID: "f-1", fields: map[string]any{"file_id": " f-1 ", "subject": []any{"a", "b"}, "n": 2.0}},
				{n: 2, bad: "not a JSON object"}}, ""},
		{"json that is not an array", "json", `{"file_id":"x"}`, nil, "JSON array"},
		{"jsonl skips blank lines and reports a bad one", "jsonl",
			"{\"file_id\":\"a\"}\n\n{oops\n{\"file_id\":\"c\"}",
			[]inputRow{{n: 1, fileID: "a", fields: map[string]any{"file_id": "a"}}, {n: 2, bad: "not a JSON object"},
				{n: 3, fileID: "c", fields: map[string]any{"file_id": "c"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rows."+tt.format)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			rows, err := readRows(path, tt.format)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(rows), len(tt.want), rows)
			}
			for i, want := range tt.want {
				got := rows[i]
				if got.n != want.n || got.fileID != want.fileID || got.bad != want.bad || asJSON(t, got.fields) != asJSON(t, want.fields) {
					t.Errorf("row %d: %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	if m, ok := v.(map[string]any); ok && m == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var norm any
	json.Unmarshal(b, &norm)
	b, _ = json.Marshal(norm)
	return string(b)
}

func TestInputFormat(t *testing.T) {
	tests := []struct{ path, flag, want string }{
		{"a.csv", "", "csv"}, {"a.JSON", "", "json"}, {"a.jsonl", "", "jsonl"}, {"a.ndjson", "", "jsonl"},
		{"a.txt", "csv", "csv"}, {"a.txt", "", ""}, {"a.csv", "xml", ""},
	}
	for _, tt := range tests {
		got, err := inputFormat(tt.path, tt.flag)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("inputFormat(%q, %q) = %q, %v; want %q", tt.path, tt.flag, got, err, tt.want)
		}
	}
}

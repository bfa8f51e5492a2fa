package pdf

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	readpdf "github.com/ledongthuc/pdf"
)

// uuidPattern finds submission ids (datahub_id, a UUID) in a PDF's text.
var uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// maxTextPages bounds how much of an upload is read for the ids it names:
// the approval form states its submission on its first page.
const maxTextPages = 10

// NamedSubmissions returns the submission ids (UUIDs, lower-cased, sorted,
// without repeats) written in the text of a checked PDF's first pages: the
// approval form prints its submission's. A scanned copy has no text and names
// none. A file the text reader cannot read names none, with the reader's error.
func NamedSubmissions(data []byte) (ids []string, err error) {
	defer func() {
		// The file is the client's: a reader bug on it must not stop the service.
		if p := recover(); p != nil {
			ids, err = nil, fmt.Errorf("read text: reader panic: %v", p)
		}
	}()
	doc, err := readpdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("read text: %w", err)
	}
	var text strings.Builder
	for i := 1; i <= min(doc.NumPage(), maxTextPages); i++ {
		p := doc.Page(i)
		if p.V.IsNull() {
			continue
		}
		s, err := p.GetPlainText(nil)
		if err != nil {
			return nil, fmt.Errorf("read text of page %d: %w", i, err)
		}
		io.WriteString(&text, s)
	}
	// The text reader may drop the spaces and line breaks between runs; ids
	// are printed whole, so matching on the text without them finds them too.
	for _, m := range uuidPattern.FindAllString(strings.Join(strings.Fields(text.String()), ""), -1) {
		ids = append(ids, strings.ToLower(m))
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

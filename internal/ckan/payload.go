package ckan

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// Fixed values of every dataset we publish (SPEC §5).
const (
	DatasetType  = "dataset"
	LicenseID    = "ca-ogl-lgo" // Open Government Licence – Canada
	Restrictions = "unrestricted"
	ResourceType = "dataset"
)

// PayloadInput is what a dataset's payload is made from.
type PayloadInput struct {
	ID       string          // the submission's datahub_id, also the registry id
	Fields   opendata.Fields // the valid, normalized metadata
	OwnerOrg string          // the target's organization, name or id
	Format   string          // the file check's CKAN format code; empty lets the registry guess
	Size     int64           // the file's size in bytes; 0 when unknown
}

// Translated is a registry {en, fr} text.
type Translated struct {
	EN string `json:"en"`
	FR string `json:"fr"`
}

// TranslatedList is a registry {en: [...], fr: [...]} list.
type TranslatedList struct {
	EN []string `json:"en"`
	FR []string `json:"fr"`
}

// Resource is the one resource of a dataset: the submitted file.
type Resource struct {
	NameTranslated Translated `json:"name_translated"`
	ResourceType   string     `json:"resource_type"`
	Format         string     `json:"format,omitempty"`
	Language       []string   `json:"language"`
	URL            string     `json:"url"`
	Size           int64      `json:"size,omitempty"`
}

// Payload is the package_create body of a dataset (ckanext-canada schema), in a
// fixed key order so that the bytes shown in dry-run mode are stable.
type Payload struct {
	Type            string         `json:"type"`
	ID              string         `json:"id"`
	Collection      string         `json:"collection"`
	Title           Translated     `json:"title_translated"`
	Notes           Translated     `json:"notes_translated"`
	Keywords        TranslatedList `json:"keywords"`
	Subject         []string       `json:"subject"`
	Audience        []string       `json:"audience,omitempty"`
	Frequency       string         `json:"frequency"`
	Jurisdiction    string         `json:"jurisdiction"`
	DatePublished   string         `json:"date_published"`
	CoverageStart   string         `json:"time_period_coverage_start,omitempty"`
	CoverageEnd     string         `json:"time_period_coverage_end,omitempty"`
	DOI             string         `json:"digital_object_identifier,omitempty"`
	MaintainerEmail string         `json:"maintainer_email"`
	OwnerOrg        string         `json:"owner_org"`
	LicenseID       string         `json:"license_id"`
	Restrictions    string         `json:"restrictions"`
	IMSOApproval    string         `json:"imso_approval"`
	ReadyToPublish  string         `json:"ready_to_publish"`
	Resources       []Resource     `json:"resources"`
}

// BuildPayload maps a submission to the registry's dataset schema (SPEC §5).
func BuildPayload(in PayloadInput) Payload {
	f := in.Fields
	name := resourceName(f.FileName, f.FileURL)
	return Payload{
		Type:            DatasetType,
		ID:              in.ID,
		Collection:      f.Collection,
		Title:           Translated{EN: f.TitleEN, FR: f.TitleFR},
		Notes:           Translated{EN: f.NotesEN, FR: f.NotesFR},
		Keywords:        TranslatedList{EN: nonNil(f.KeywordsEN), FR: nonNil(f.KeywordsFR)},
		Subject:         nonNil(f.Subject),
		Audience:        f.Audience,
		Frequency:       f.Frequency,
		Jurisdiction:    f.Jurisdiction,
		DatePublished:   f.DatePublished,
		CoverageStart:   f.CoverageStart,
		CoverageEnd:     f.CoverageEnd,
		DOI:             f.DigitalObjectID,
		MaintainerEmail: f.EmailContact,
		OwnerOrg:        in.OwnerOrg,
		LicenseID:       LicenseID,
		Restrictions:    Restrictions,
		IMSOApproval:    "true", // strings: the registry refuses JSON booleans here
		ReadyToPublish:  "true",
		Resources: []Resource{{
			NameTranslated: Translated{EN: name, FR: name},
			ResourceType:   ResourceType,
			Format:         in.Format,
			Language:       []string{"en", "fr"},
			URL:            f.FileURL,
			Size:           max(in.Size, 0),
		}},
	}
}

// JSON returns the payload as sent, indented for people to read (dry-run mode, golden files).
func (p Payload) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(p) // a Payload holds only strings, lists and numbers
	return buf.Bytes()
}

// resourceName is the file's name, or the last part of its URL when none was given.
func resourceName(fileName, fileURL string) string {
	if fileName != "" {
		return fileName
	}
	if u, err := url.Parse(fileURL); err == nil {
		if i := strings.LastIndex(u.Path, "/"); i >= 0 && i < len(u.Path)-1 {
			return u.Path[i+1:]
		}
		return u.Host
	}
	return fileURL
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

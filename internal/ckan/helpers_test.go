package ckan

import (
	"flag"
	"net/http"
	"testing"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testID is a datahub_id as the API mints them (UUID v7).
const testID = "01890a5d-ac96-774b-bcce-b302099a8057"

// loopbackClient dials only loopback addresses, as the network rule wants.
func loopbackClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DialContext: (&fetchtest.Dialer{}).Dial}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func newClient(t *testing.T, base, token string) *Client {
	t.Helper()
	c, err := New(Target{BaseURL: base, Token: token, Organization: "nrcan-rncan"}, loopbackClient(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newRegistry starts the double with the organization the client publishes under.
func newRegistry(t *testing.T) (*ckantest.Server, *Client, string) {
	t.Helper()
	srv := ckantest.New(t)
	orgID := srv.AddOrganization("nrcan-rncan")
	return srv, newClient(t, srv.URL, srv.Token), orgID
}

// exampleFields is the README's example submission with every optional field.
func exampleFields() opendata.Fields {
	return opendata.Fields{
		FileURL:         "http://127.0.0.1:8765/inventory.csv",
		FileID:          "inv-2024",
		FileName:        "inventory.csv",
		EmailContact:    "you@example.gc.ca",
		Collection:      "primary",
		TitleEN:         "Forest inventory",
		TitleFR:         "Inventaire forestier",
		NotesEN:         "Annual plots.",
		NotesFR:         "Placettes annuelles.",
		KeywordsEN:      []string{"forests", "trees"},
		KeywordsFR:      []string{"forêts", "arbres"},
		Subject:         []string{"nature_and_environment", "agriculture"},
		Frequency:       "P1Y",
		DatePublished:   "2024-03-15",
		Jurisdiction:    "federal",
		CoverageStart:   "2023-01-01",
		CoverageEnd:     "2023-12-31",
		Audience:        []string{"scientists", "general_public"},
		DigitalObjectID: "10.5061/dryad.8515",
	}
}

func examplePayload(id string) Payload {
	return BuildPayload(PayloadInput{ID: id, Fields: exampleFields(), OwnerOrg: "nrcan-rncan", Format: "CSV", Size: 20})
}

package web

import (
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// frenchZones are the French abbreviations of the Canadian time zones
// (Translation Bureau usage): HNE for EST, HAE for EDT...
var frenchZones = map[string]string{
	"NST": "HNT", "NDT": "HAT", "AST": "HNA", "ADT": "HAA", "EST": "HNE", "EDT": "HAE",
	"CST": "HNC", "CDT": "HAC", "MST": "HNR", "MDT": "HAR", "PST": "HNP", "PDT": "HAP",
}

// when writes t in loc for people, with the zone named as they say it:
// "2026-12-03 02:02 EST", "2026-12-03 02:02 HNE". A zone without a name
// (a bare offset) is written as the offset.
func when(lang i18n.Lang, loc *time.Location, t time.Time) string {
	t = t.In(loc)
	zone, _ := t.Zone()
	if lang == i18n.FR {
		if fr, ok := frenchZones[zone]; ok {
			zone = fr
		}
	}
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		zone = "UTC" + t.Format("-07:00")
	}
	return t.Format("2006-01-02 15:04") + " " + zone
}

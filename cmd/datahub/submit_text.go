package main

import (
	"fmt"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// submitText is what `datahub submit` prints, in English and French. The
// field messages themselves come from the server (Accept-Language) or, in a
// local dry run, from internal/i18n.
var submitText = map[i18n.Lang]map[string]string{
	i18n.EN: {
		"summary":          "%d rows in %s%s:",
		"summary.dry":      " (dry run: nothing was submitted)",
		"status.submitted": "submitted",
		"status.exists":    "already submitted (file_id known to the server)",
		"status.valid":     "valid, would be submitted",
		"status.invalid":   "rejected: fix the row and run again",
		"status.failed":    "failed: run again to retry",
		"status.skipped":   "done in an earlier run",
		"status.pending":   "not processed (interrupted)",
		"errors":           "Errors by field and code:",
		"errors.line":      "  %-28s %-18s %5d   %s",
		"errors.rows":      "rows %s",
		"errors.row":       "row %s",
		"errors.nofield":   "(row)",
		"results":          "Results: %s",
		"local":            "The server has no validation route: rows were checked here, against this version's rules (allowed email domains are not checked).",
		"progress":         "%d/%d rows, %d errors, %.1f rows/s, about %s left",
		"progress.done":    "%d/%d rows, %d errors, in %s",
		"interrupted":      "interrupted with %d rows not processed: run the same command again to resume",
		"rows.failed":      "%d of %d rows were not submitted",
		"rows.invalid":     "%d of %d rows are invalid",
		"bar.errors":       "%d errors",
	},
	i18n.FR: {
		"summary":          "%d lignes dans %s%s :",
		"summary.dry":      " (essai : rien n'a été soumis)",
		"status.submitted": "soumises",
		"status.exists":    "déjà soumises (file_id connu du serveur)",
		"status.valid":     "valides, seraient soumises",
		"status.invalid":   "refusées : corrigez la ligne et relancez",
		"status.failed":    "en échec : relancez pour réessayer",
		"status.skipped":   "faites lors d'une exécution précédente",
		"status.pending":   "non traitées (interruption)",
		"errors":           "Erreurs par champ et par code :",
		"errors.line":      "  %-28s %-18s %5d   %s",
		"errors.rows":      "lignes %s",
		"errors.row":       "ligne %s",
		"errors.nofield":   "(ligne)",
		"results":          "Résultats : %s",
		"local":            "Le serveur n'offre pas de validation : les lignes ont été vérifiées ici, selon les règles de cette version (les domaines de courriel permis ne sont pas vérifiés).",
		"progress":         "%d/%d lignes, %d erreurs, %.1f lignes/s, environ %s restantes",
		"progress.done":    "%d/%d lignes, %d erreurs, en %s",
		"interrupted":      "interrompu avec %d lignes non traitées : relancez la même commande pour reprendre",
		"rows.failed":      "%d lignes sur %d n'ont pas été soumises",
		"rows.invalid":     "%d lignes sur %d ne sont pas valides",
		"bar.errors":       "%d erreurs",
	},
}

// say formats the message key in lang.
func say(lang i18n.Lang, key string, args ...any) string {
	msg, ok := submitText[lang][key]
	if !ok {
		msg = submitText[i18n.EN][key]
	}
	return fmt.Sprintf(msg, args...)
}

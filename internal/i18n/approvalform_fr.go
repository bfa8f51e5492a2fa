package i18n

// Le texte propre au formulaire d’approbation imprimé; ses champs et ses
// critères sont ceux de l’éditeur (editor.approval.*).
func init() {
	extend(FR, map[string]string{
		"approval_pdf.title":              "Approbation de publication de données ouvertes",
		"approval_pdf.draft":              "ÉBAUCHE : le formulaire d’approbation est incomplet. Ne pas signer.",
		"approval_pdf.instructions":       "Imprimez ce formulaire, faites-le signer par le responsable opérationnel ou l’autorité déléguée, puis téléversez la copie signée.",
		"approval_pdf.instructions_at":    "Imprimez ce formulaire, faites-le signer par le responsable opérationnel ou l’autorité déléguée, puis téléversez la copie signée à {url}",
		"approval_pdf.generated":          "Généré le",
		"approval_pdf.page":               "Page {page} de {pages}",
		"approval_pdf.datahub_id":         "ID DataHub",
		"approval_pdf.section.submission": "Soumission",
		"approval_pdf.section.approval":   "Approbation",
		"approval_pdf.confirmed_by":       "Le responsable opérationnel confirme que :",
		"approval_pdf.blanket_note":       "Cette approbation vise aussi les publications ultérieures suivantes :",
		"approval_pdf.statement":          "J’approuve la publication de ce jeu de données sous la « Licence du gouvernement ouvert – Canada ».",
		"approval_pdf.sign.name":          "Nom de la personne approbatrice",
		"approval_pdf.sign.title":         "Titre",
		"approval_pdf.sign.signature":     "Signature",
		"approval_pdf.sign.date":          "Date (AAAA-MM-JJ)",
	})
}

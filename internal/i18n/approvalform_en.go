package i18n

// The printed approval form's own text; its fields and criteria are the
// editor's (editor.approval.*), so that the page and the signed form agree.
func init() {
	extend(EN, map[string]string{
		"approval_pdf.title":              "Open data release approval",
		"approval_pdf.draft":              "DRAFT: the approval form is incomplete. Do not sign.",
		"approval_pdf.instructions":       "Print this form, have it signed by the business owner or the delegated authority, then upload the signed copy.",
		"approval_pdf.instructions_at":    "Print this form, have it signed by the business owner or the delegated authority, then upload the signed copy at {url}",
		"approval_pdf.generated":          "Generated on",
		"approval_pdf.page":               "Page {page} of {pages}",
		"approval_pdf.datahub_id":         "DataHub ID",
		"approval_pdf.section.submission": "Submission",
		"approval_pdf.section.approval":   "Approval",
		"approval_pdf.confirmed_by":       "The business owner confirms that:",
		"approval_pdf.blanket_note":       "This approval also covers later releases of:",
		"approval_pdf.statement":          "I approve the release of this dataset under the Open Government Licence – Canada.",
		"approval_pdf.sign.name":          "Name of approver",
		"approval_pdf.sign.title":         "Title",
		"approval_pdf.sign.signature":     "Signature",
		"approval_pdf.sign.date":          "Date (YYYY-MM-DD)",
	})
}

package i18n

// Glossary is the French vocabulary of the service: one term per concept,
// the same on the pages, in email and on the admin pages. TestGlossary holds
// the catalogue to it (the email templates are held to it in internal/mail).
var Glossary = []Term{
	{EN: "approver", FR: "personne approbatrice", Avoid: []string{"approbateur"}},
	{EN: "contact", FR: "personne-ressource", Avoid: []string{"contact de la soumission"}},
	{EN: "reject", FR: "rejeter", Avoid: []string{"refuser la diffusion", "a été refusé"}},
	{EN: "submission", FR: "soumission", Avoid: []string{"demande de publication"}},
	{EN: "registry", FR: "registre", Avoid: []string{"portail"}},
}

// Term is one concept of the glossary: its French term and the variants to avoid.
type Term struct {
	EN, FR string
	Avoid  []string // lower-case; a variant that never appears in French text
}
